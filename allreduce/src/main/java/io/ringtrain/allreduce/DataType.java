package io.ringtrain.allreduce;

/**
 * Element type of a buffer that a collective reduces. Reductions always happen in this type, whatever the
 * wire encoding.
 */
public enum DataType {
    FLOAT32(Float.BYTES),
    FLOAT64(Double.BYTES);

    private final int size;

    DataType(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }
}
