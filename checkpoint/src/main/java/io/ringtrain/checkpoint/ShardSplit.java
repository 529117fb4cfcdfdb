package io.ringtrain.checkpoint;

/**
 * How the flattened state is divided among ranks: n contiguous ranges in rank order whose sizes
 * differ by at most one byte (the first {@code total % n} ranks get the extra byte). Saving and
 * restoring both use this, so it must never change for a given format version.
 */
public final class ShardSplit {
    private ShardSplit() {
    }

    /** The byte range rank {@code rank} of {@code worldSize} saves (or restores) out of {@code totalBytes}. */
    public static ByteRange range(long totalBytes, int worldSize, int rank) {
        if (totalBytes < 0) {
            throw new IllegalArgumentException("state size must be >= 0, got " + totalBytes);
        }
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank must be in [0, " + worldSize + "), got " + rank);
        }
        long base = totalBytes / worldSize;
        long extra = totalBytes % worldSize;
        long offset = rank * base + Math.min(rank, extra);
        long length = base + (rank < extra ? 1 : 0);
        return new ByteRange(offset, length);
    }
}
