package io.ringtrain.worker.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * Where one named tensor lives in an {@link Arena}: its element type, shape (row-major), and the
 * byte range {@code [byteOffset, byteOffset + byteLength)} relative to the arena's start. This is
 * the description the checkpoint manifest stores and the data plane buckets over.
 */
public record TensorLayout(String name, ElementType elementType, long[] shape, long byteOffset, long byteLength) {

    public TensorLayout {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(elementType, "elementType");
        shape = shape.clone();
        if (byteOffset < 0 || byteOffset % elementType.byteSize() != 0) {
            throw new IllegalArgumentException(name + ": byte offset " + byteOffset
                    + " is not a non-negative multiple of " + elementType.byteSize());
        }
        if (byteLength != elementCount(shape) * elementType.byteSize()) {
            throw new IllegalArgumentException(name + ": byte length " + byteLength + " does not match shape "
                    + Arrays.toString(shape) + " of " + elementType);
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return elementCount(shape);
    }

    public long endOffset() {
        return byteOffset + byteLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorLayout t && name.equals(t.name) && elementType == t.elementType
                && Arrays.equals(shape, t.shape) && byteOffset == t.byteOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, elementType, Arrays.hashCode(shape), byteOffset, byteLength);
    }

    @Override
    public String toString() {
        return name + " " + elementType + Arrays.toString(shape) + " @" + byteOffset + "+" + byteLength;
    }

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("shape dimensions must be >= 1: " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
