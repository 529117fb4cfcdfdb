package io.ringtrain.worker.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One contiguous off-heap buffer holding named tensors back to back, each an {@link INDArray}
 * view at a fixed byte offset. Other components see the same memory without copies: the data
 * plane through {@link #address()} and {@link #byteLength()}, checkpoints through
 * {@link #bytes()} and {@link #layout()}.
 *
 * <p>Invariant: the views are the only arrays over this memory, and every operation on them is
 * in place (gemm into them, {@code addi}, {@code muli}, {@code assign}), so the address never
 * changes and nothing is detached. The memory lives as long as this object is reachable; anyone
 * holding {@link #address()} must also hold the arena.
 *
 * <p>Tensors are packed in layout order with no padding except to align an element to its own
 * size, so a run of same-typed tensors is itself one contiguous range.
 */
public final class Arena {
    private final DataBuffer buffer;
    private final ElementType floatType;
    private final long byteLength;
    private final List<TensorLayout> layout;
    private final Map<String, Integer> indexByName;
    private final INDArray[] views;
    private final INDArray allElements;

    private Arena(ElementType floatType, List<TensorLayout> layout) {
        this.floatType = floatType;
        this.layout = List.copyOf(layout);
        this.byteLength = layout.isEmpty() ? 0 : layout.get(layout.size() - 1).endOffset();
        final long elements = Math.max(1, (byteLength + floatType.byteSize() - 1) / floatType.byteSize());
        // Detached (outside any workspace) and zero-filled: ND4J never moves or frees it behind our back.
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            this.buffer = Nd4j.createBuffer(floatType.nd4jType(), elements, true);
        }
        this.allElements = view(0, new long[] {elements});
        this.indexByName = new HashMap<>();
        this.views = new INDArray[layout.size()];
        for (int i = 0; i < layout.size(); i++) {
            final TensorLayout t = layout.get(i);
            indexByName.put(t.name(), i);
            if (t.elementType() == floatType) {
                views[i] = view(t.byteOffset(), t.shape());
            }
        }
    }

    public static Builder builder(ElementType floatType) {
        if (!floatType.isFloatingPoint()) {
            throw new IllegalArgumentException("an arena's tensors are FLOAT32 or FLOAT64, was " + floatType);
        }
        return new Builder(floatType);
    }

    /** Native address of byte 0. */
    public long address() {
        return buffer.address();
    }

    public long byteLength() {
        return byteLength;
    }

    /** Element type of the tensor views. */
    public ElementType floatType() {
        return floatType;
    }

    /**
     * The whole arena as a direct, native-order {@link ByteBuffer} over the same memory (no copy):
     * writes through it are visible in the views and vice versa. A new buffer object each call,
     * with position 0 and limit {@link #byteLength()}, so callers' positions never interfere.
     */
    public ByteBuffer bytes() {
        final ByteBuffer all = buffer.asNio();
        return all.limit(Math.toIntExact(byteLength)).slice().order(ByteOrder.nativeOrder());
    }

    /** Every tensor in layout order. */
    public List<TensorLayout> layout() {
        return layout;
    }

    /**
     * Fails unless {@code saved} (e.g. from a checkpoint manifest) is exactly this arena's layout,
     * naming the first difference, so bytes saved under one layout are never read under another.
     */
    public void requireLayout(List<TensorLayout> saved) {
        for (int i = 0; i < Math.max(saved.size(), layout.size()); i++) {
            final TensorLayout mine = i < layout.size() ? layout.get(i) : null;
            final TensorLayout theirs = i < saved.size() ? saved.get(i) : null;
            if (mine == null || !mine.equals(theirs)) {
                throw new IllegalArgumentException("saved state does not fit this model: tensor #" + i + " was "
                        + (theirs == null ? "absent" : theirs) + " but this model has "
                        + (mine == null ? "nothing" : mine)
                        + "; restore with the model and optimizer the state was saved with");
            }
        }
    }

    public TensorLayout tensor(String name) {
        return layout.get(indexOf(name));
    }

    public int indexOf(String name) {
        final Integer index = indexByName.get(name);
        if (index == null) {
            throw new IllegalArgumentException("no tensor named '" + name + "'; the arena holds "
                    + layout.stream().map(TensorLayout::name).toList());
        }
        return index;
    }

    /** The view of a floating-point tensor (shape as in its layout). */
    public INDArray view(String name) {
        return view(indexOf(name));
    }

    public INDArray view(int index) {
        final INDArray view = views[index];
        if (view == null) {
            throw new IllegalArgumentException(layout.get(index) + " is not a " + floatType + " tensor");
        }
        return view;
    }

    /**
     * A 1-D view over the byte range {@code [fromByte, toByte)}, which must hold only
     * {@link #floatType()} tensors; used for whole-arena elementwise work such as optimizer steps.
     */
    public INDArray flatView(long fromByte, long toByte) {
        final int size = floatType.byteSize();
        if (fromByte < 0 || toByte > byteLength || fromByte >= toByte || fromByte % size != 0 || toByte % size != 0) {
            throw new IllegalArgumentException("byte range [" + fromByte + ", " + toByte
                    + ") is not an aligned, non-empty range of this " + byteLength + "-byte arena");
        }
        return view(fromByte, new long[] {(toByte - fromByte) / size});
    }

    /** Sets every byte to zero (a native fill; the gradient arena is cleared every step). */
    public void clear() {
        allElements.assign(0);
    }

    private INDArray view(long byteOffset, long[] shape) {
        return Nd4j.create(buffer, shape, Nd4j.getStrides(shape, 'c'), byteOffset / floatType.byteSize(), 'c',
                floatType.nd4jType());
    }

    /** Lays tensors out in the order they are added. */
    public static final class Builder {
        private final ElementType floatType;
        private final List<TensorLayout> layout = new ArrayList<>();
        private long nextOffset;

        private Builder(ElementType floatType) {
            this.floatType = floatType;
        }

        /** Adds a tensor of the arena's float type. */
        public Builder add(String name, long... shape) {
            return add(name, floatType, shape);
        }

        public Builder add(String name, ElementType elementType, long... shape) {
            if (elementType.isFloatingPoint() && elementType != floatType) {
                throw new IllegalArgumentException(name + ": a " + floatType + " arena cannot hold " + elementType);
            }
            if (layout.stream().anyMatch(t -> t.name().equals(name))) {
                throw new IllegalArgumentException("tensor name '" + name + "' appears twice");
            }
            final long align = elementType.byteSize();
            final long offset = (nextOffset + align - 1) / align * align;
            final TensorLayout t = new TensorLayout(name, elementType, shape, offset,
                    TensorLayout.elementCount(shape) * elementType.byteSize());
            layout.add(t);
            nextOffset = t.endOffset();
            return this;
        }

        public Arena build() {
            if (layout.isEmpty()) {
                throw new IllegalStateException("an arena needs at least one tensor");
            }
            if (nextOffset > Integer.MAX_VALUE) {
                throw new IllegalStateException("an arena is at most 2 GiB (one ByteBuffer); this layout needs "
                        + nextOffset + " bytes: split the model state");
            }
            return new Arena(floatType, layout);
        }
    }

    @Override
    public String toString() {
        return "Arena[" + byteLength + " bytes, " + layout.size() + " tensors: "
                + Arrays.toString(layout.stream().map(TensorLayout::name).toArray()) + "]";
    }
}
