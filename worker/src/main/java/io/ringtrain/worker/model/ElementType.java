package io.ringtrain.worker.model;

import org.nd4j.linalg.api.buffer.DataType;

/** Element types that appear in a state layout, with their NumPy names for readers outside the JVM. */
public enum ElementType {
    FLOAT32(4, "<f4", DataType.FLOAT),
    FLOAT64(8, "<f8", DataType.DOUBLE),
    INT64(8, "<i8", DataType.LONG);

    private final int byteSize;
    private final String numpyDescriptor;
    private final DataType nd4jType;

    ElementType(int byteSize, String numpyDescriptor, DataType nd4jType) {
        this.byteSize = byteSize;
        this.numpyDescriptor = numpyDescriptor;
        this.nd4jType = nd4jType;
    }

    public int byteSize() {
        return byteSize;
    }

    /** NumPy {@code descr} of the little-endian form, e.g. {@code <f4}. */
    public String numpyDescriptor() {
        return numpyDescriptor;
    }

    public DataType nd4jType() {
        return nd4jType;
    }

    boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64;
    }
}
