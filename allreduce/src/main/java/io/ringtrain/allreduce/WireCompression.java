package io.ringtrain.allreduce;

/**
 * How elements travel on the wire. Compression halves the bytes sent; accumulation still happens in the
 * buffer's own type, so only the values on the wire are rounded.
 */
public enum WireCompression {
    /** Elements travel in the buffer's own type: results are exact up to summation order. */
    NONE,
    /**
     * bfloat16 on the wire (round to nearest even), float32 accumulation. Only for FLOAT32 buffers. Every
     * rank ends with the same bf16-representable values, because the rank that finishes a segment rounds its
     * own copy too before sending it on.
     */
    BF16;

    int wireElementSize(DataType type) {
        return this == BF16 ? 2 : type.size();
    }
}
