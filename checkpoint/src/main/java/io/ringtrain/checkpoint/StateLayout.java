package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.TensorEntry;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Where each named tensor sits in the flattened state: tensors back to back, in a fixed order,
 * with no gaps. Workers build it once from their model; the manifest records it.
 */
public final class StateLayout {
    private final List<TensorEntry> tensors;
    private final long totalBytes;

    private StateLayout(List<TensorEntry> tensors, long totalBytes) {
        this.tensors = List.copyOf(tensors);
        this.totalBytes = totalBytes;
    }

    /** Lays out {@code specs} back to back in the given order. */
    public static StateLayout of(List<TensorSpec> specs) {
        List<TensorEntry> entries = new ArrayList<>(specs.size());
        long offset = 0;
        for (TensorSpec spec : specs) {
            long length = byteSize(spec);
            entries.add(TensorEntry.newBuilder().setSpec(spec).setByteOffset(offset).setByteLength(length).build());
            offset += length;
        }
        return fromEntries(entries);
    }

    public static StateLayout of(TensorSpec... specs) {
        return of(List.of(specs));
    }

    /** Checks entries read from a manifest: unique names, sizes matching dtype and shape, no gaps or overlaps. */
    public static StateLayout fromEntries(List<TensorEntry> entries) {
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (TensorEntry entry : entries) {
            String name = entry.getSpec().getName();
            if (name.isEmpty() || !names.add(name)) {
                throw new CheckpointException("tensor name '" + name + "' is empty or used twice in the state layout");
            }
            if (entry.getByteOffset() != offset) {
                throw new CheckpointException("tensor '" + name + "' starts at byte " + entry.getByteOffset()
                        + " but the previous tensor ends at " + offset + ": tensors must be back to back in order");
            }
            long expected = byteSize(entry.getSpec());
            if (entry.getByteLength() != expected) {
                throw new CheckpointException("tensor '" + name + "' has " + entry.getByteLength() + " bytes but its dtype "
                        + entry.getSpec().getDtype() + " and shape " + entry.getSpec().getShapeList() + " need " + expected);
            }
            offset = Math.addExact(offset, expected);
        }
        return new StateLayout(entries, offset);
    }

    /** Bytes a tensor occupies: element size of its dtype times the product of its shape. */
    public static long byteSize(TensorSpec spec) {
        long elements = 1;
        for (long dimension : spec.getShapeList()) {
            if (dimension < 0) {
                throw new CheckpointException("tensor '" + spec.getName() + "' has negative dimension in shape " + spec.getShapeList());
            }
            elements = Math.multiplyExact(elements, dimension);
        }
        return Math.multiplyExact(elements, elementSize(spec.getDtype(), spec.getName()));
    }

    private static long elementSize(Dtype dtype, String name) {
        return switch (dtype) {
            case DTYPE_FLOAT32, DTYPE_INT32 -> 4;
            case DTYPE_FLOAT64, DTYPE_INT64 -> 8;
            case DTYPE_BFLOAT16 -> 2;
            default -> throw new CheckpointException("tensor '" + name + "' has dtype " + dtype + ", which has no known size");
        };
    }

    public List<TensorEntry> tensors() {
        return tensors;
    }

    /** Size of the flattened state. */
    public long totalBytes() {
        return totalBytes;
    }

    /** The entry of tensor {@code name}. */
    public TensorEntry tensor(String name) {
        for (TensorEntry entry : tensors) {
            if (entry.getSpec().getName().equals(name)) {
                return entry;
            }
        }
        throw new CheckpointException("no tensor named '" + name + "' in the state layout");
    }
}
