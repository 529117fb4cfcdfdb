package io.ringtrain.checkpoint;

/** A half-open byte range {@code [offset, offset + length)} of the flattened state. */
public record ByteRange(long offset, long length) {
    public ByteRange {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("byte range needs offset >= 0 and length >= 0, got offset "
                    + offset + ", length " + length);
        }
    }

    public long end() {
        return offset + length;
    }

    /** The overlap of this range and {@code other}; empty (length 0) when they do not overlap. */
    public ByteRange intersect(ByteRange other) {
        long start = Math.max(offset, other.offset);
        long stop = Math.min(end(), other.end());
        return stop > start ? new ByteRange(start, stop - start) : new ByteRange(start, 0);
    }

    @Override
    public String toString() {
        return "[" + offset + ", " + end() + ")";
    }
}
