package io.ringtrain.allreduce;

/**
 * The element work of one collective: encode for the wire, accumulate a received frame into the destination,
 * copy a finished frame into it, and finish a segment (AVG scaling, bf16 rounding). Chosen once per collective
 * so the per-frame calls are a switch on a final field and a tight loop.
 */
final class Reduction {
    /** Raw bytes: broadcast and all-gather move bytes without looking at them. */
    static final Reduction BYTES = new Reduction(null, null, WireCompression.NONE);
    /** Every combination, so choosing one per collective allocates nothing. */
    private static final Reduction[] ALL = new Reduction[DataType.values().length * ReduceOp.values().length
            * WireCompression.values().length];

    static {
        for (DataType t : DataType.values()) {
            for (ReduceOp o : ReduceOp.values()) {
                for (WireCompression c : WireCompression.values()) {
                    ALL[index(t, o, c)] = new Reduction(t, o, c);
                }
            }
        }
    }

    private static int index(DataType t, ReduceOp o, WireCompression c) {
        return (t.ordinal() * ReduceOp.values().length + o.ordinal()) * WireCompression.values().length + c.ordinal();
    }

    static Reduction of(DataType type, ReduceOp op, WireCompression compression) {
        return ALL[index(type, op, compression)];
    }

    private final DataType type;
    private final ReduceOp op;
    private final WireCompression compression;
    private final int elementSize;
    private final int wireElementSize;

    private Reduction(DataType type, ReduceOp op, WireCompression compression) {
        this.type = type;
        this.op = op;
        this.compression = compression;
        this.elementSize = type == null ? 1 : type.size();
        this.wireElementSize = type == null ? 1 : compression.wireElementSize(type);
    }

    int elementSize() {
        return elementSize;
    }

    int wireElementSize() {
        return wireElementSize;
    }

    DataType type() {
        return type;
    }

    ReduceOp op() {
        return op;
    }

    WireCompression compression() {
        return compression;
    }

    void encode(Object src, long srcAddr, Object wire, long wireAddr, int count) {
        if (compression == WireCompression.BF16) {
            ElementKernels.encodeBf16(src, srcAddr, wire, wireAddr, count);
        } else {
            ElementKernels.copy(src, srcAddr, wire, wireAddr, (long) count * elementSize);
        }
    }

    void decode(Object wire, long wireAddr, Object dst, long dstAddr, int count) {
        if (compression == WireCompression.BF16) {
            ElementKernels.decodeBf16(wire, wireAddr, dst, dstAddr, count);
        } else {
            ElementKernels.copy(wire, wireAddr, dst, dstAddr, (long) count * elementSize);
        }
    }

    void accumulate(Object dst, long dstAddr, Object wire, long wireAddr, int count) {
        if (compression == WireCompression.BF16) {
            switch (op) {
                case SUM, AVG -> ElementKernels.sumBf16(dst, dstAddr, wire, wireAddr, count);
                case MIN -> ElementKernels.minBf16(dst, dstAddr, wire, wireAddr, count);
                case MAX -> ElementKernels.maxBf16(dst, dstAddr, wire, wireAddr, count);
            }
        } else if (type == DataType.FLOAT32) {
            switch (op) {
                case SUM, AVG -> ElementKernels.sumFloat(dst, dstAddr, wire, wireAddr, count);
                case MIN -> ElementKernels.minFloat(dst, dstAddr, wire, wireAddr, count);
                case MAX -> ElementKernels.maxFloat(dst, dstAddr, wire, wireAddr, count);
            }
        } else {
            switch (op) {
                case SUM, AVG -> ElementKernels.sumDouble(dst, dstAddr, wire, wireAddr, count);
                case MIN -> ElementKernels.minDouble(dst, dstAddr, wire, wireAddr, count);
                case MAX -> ElementKernels.maxDouble(dst, dstAddr, wire, wireAddr, count);
            }
        }
    }

    /** True when {@link #accumulateTo} exists for this op: sums, the bulk of training traffic. */
    boolean canAccumulateTo() {
        return op == ReduceOp.SUM || op == ReduceOp.AVG;
    }

    /**
     * Writes {@code local + received} straight into an outgoing frame without storing it locally: at the
     * intermediate reduce-scatter steps the partial sum is only ever forwarded, so this saves a write and a read
     * of the buffer per element.
     */
    void accumulateTo(Object dst, long dstAddr, Object wire, long wireAddr, Object out, long outAddr, int count) {
        if (compression == WireCompression.BF16) {
            ElementKernels.sumBf16To(dst, dstAddr, wire, wireAddr, out, outAddr, count);
        } else if (type == DataType.FLOAT32) {
            ElementKernels.sumFloatTo(dst, dstAddr, wire, wireAddr, out, outAddr, count);
        } else {
            ElementKernels.sumDoubleTo(dst, dstAddr, wire, wireAddr, out, outAddr, count);
        }
    }

    /**
     * Turns a fully reduced run of elements into the final result every rank will hold: divide for AVG, and
     * round to what the wire can carry so the finishing rank does not keep more precision than the others get.
     */
    void finish(Object dst, long dstAddr, int count, int worldSize) {
        if (op == ReduceOp.AVG && worldSize > 1) {
            if (type == DataType.FLOAT32) {
                ElementKernels.scaleFloat(dst, dstAddr, count, 1.0f / worldSize);
            } else {
                ElementKernels.scaleDouble(dst, dstAddr, count, 1.0 / worldSize);
            }
        }
        if (compression == WireCompression.BF16) {
            ElementKernels.roundToBf16(dst, dstAddr, count);
        }
    }

    /** Packs kind, type, op and compression into the header's descriptor byte. */
    byte descriptor(CollectiveKind kind) {
        int t = type == null ? 0 : type.ordinal() + 1;
        int o = op == null ? 0 : op.ordinal();
        return (byte) (kind.ordinal() | (t << 2) | (o << 4) | (compression.ordinal() << 6));
    }

    String describe() {
        return type == null ? "bytes" : type + " " + op + (compression == WireCompression.NONE ? "" : " over " + compression);
    }
}
