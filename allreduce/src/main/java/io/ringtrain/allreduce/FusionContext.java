package io.ringtrain.allreduce;

/**
 * Settings of tensor fusion ({@link FusionPlan}, {@link PackedFusion}), Aeron-style: fluent setters, same-name
 * getters, defaults from named constants, and one {@link #conclude()} that validates them.
 *
 * <p>The bucket size trades overlap against per-collective cost: a bucket's all-reduce can start only once all
 * its tensors are ready, so smaller buckets start earlier, while each collective pays a fixed latency. 25 MiB is
 * PyTorch DDP's default; Horovod fuses up to 64 MiB.
 */
public final class FusionContext {
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;
    /** Packed buckets are single off-heap buffers, and collectives take int offsets. */
    public static final long MAX_BUCKET_BYTES = 1L << 30;

    private long bucketBytes = DEFAULT_BUCKET_BYTES;
    private DataType dataType = DataType.FLOAT32;
    private ReduceOp reduceOp = ReduceOp.SUM;
    private WireCompression wireCompression = WireCompression.NONE;
    private boolean concluded;

    /**
     * Validates the settings; idempotent.
     *
     * @throws IllegalArgumentException naming the setting, its value and what is allowed.
     */
    public FusionContext conclude() {
        if (concluded) {
            return this;
        }
        if (dataType == null || reduceOp == null || wireCompression == null) {
            throw new IllegalArgumentException("fusion needs a data type, a reduce op and a wire compression; got "
                    + dataType + ", " + reduceOp + ", " + wireCompression);
        }
        if (bucketBytes < dataType.size() || bucketBytes > MAX_BUCKET_BYTES || bucketBytes % dataType.size() != 0) {
            throw new IllegalArgumentException("bucket size " + bucketBytes + " bytes must be a multiple of the "
                    + dataType + " element size (" + dataType.size() + " bytes) between " + dataType.size() + " and "
                    + Sizes.format(MAX_BUCKET_BYTES) + "; the default is " + Sizes.format(DEFAULT_BUCKET_BYTES));
        }
        if (wireCompression == WireCompression.BF16 && dataType != DataType.FLOAT32) {
            throw new IllegalArgumentException("bf16 wire compression is for FLOAT32 tensors, but the data type is "
                    + dataType + ": use WireCompression.NONE for " + dataType);
        }
        concluded = true;
        return this;
    }

    private void checkNotConcluded() {
        if (concluded) {
            throw new IllegalStateException("FusionContext is already concluded; settings can no longer change");
        }
    }

    /** Upper bound on a bucket's bytes; a tensor larger than this is a bucket by itself. */
    public FusionContext bucketBytes(long bucketBytes) {
        checkNotConcluded();
        this.bucketBytes = bucketBytes;
        return this;
    }

    public long bucketBytes() {
        return bucketBytes;
    }

    /** Element type of every tensor fused with these settings. */
    public FusionContext dataType(DataType dataType) {
        checkNotConcluded();
        this.dataType = dataType;
        return this;
    }

    public DataType dataType() {
        return dataType;
    }

    /** How ranks' tensors combine; SUM by default. Every op is element-wise, so fusion never changes a result. */
    public FusionContext reduceOp(ReduceOp reduceOp) {
        checkNotConcluded();
        this.reduceOp = reduceOp;
        return this;
    }

    public ReduceOp reduceOp() {
        return reduceOp;
    }

    /** {@link WireCompression#BF16} halves the bytes sent for FLOAT32 tensors. */
    public FusionContext wireCompression(WireCompression wireCompression) {
        checkNotConcluded();
        this.wireCompression = wireCompression;
        return this;
    }

    public WireCompression wireCompression() {
        return wireCompression;
    }

    /**
     * The one bucketing rule both variants follow: a tensor joins the current bucket unless that would take the
     * bucket past {@link #bucketBytes()}; an empty bucket takes any tensor, so a tensor larger than a bucket
     * becomes a bucket by itself.
     */
    boolean fits(long bucketFill, long tensorBytes) {
        return bucketFill == 0 || bucketFill + tensorBytes <= bucketBytes;
    }

    @Override
    public String toString() {
        return "FusionContext[bucket " + Sizes.format(bucketBytes) + ", " + dataType + " " + reduceOp + ", wire "
                + wireCompression + "]";
    }
}
