package io.ringtrain.allreduce;

/**
 * Where one tensor lives in the buffer a {@link FusionPlan} reduces: bytes {@code [byteOffset, byteOffset +
 * byteLength)}, elements of {@code type}. A zero length is allowed (an empty tensor has nothing to reduce).
 */
public record TensorRange(String name, DataType type, long byteOffset, long byteLength) {

    public TensorRange {
        if (name == null || type == null) {
            throw new IllegalArgumentException("a tensor range needs a name and a type; got " + name + ", " + type);
        }
        if (byteOffset < 0 || byteLength < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': offset " + byteOffset + " and length " + byteLength
                    + " must not be negative");
        }
        if (byteLength % type.size() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': " + byteLength + " bytes is not a whole number of "
                    + type + " elements (" + type.size() + " bytes each)");
        }
    }

    public long endOffset() {
        return byteOffset + byteLength;
    }

    @Override
    public String toString() {
        return "'" + name + "' " + type + " [" + byteOffset + ", " + endOffset() + ")";
    }
}
