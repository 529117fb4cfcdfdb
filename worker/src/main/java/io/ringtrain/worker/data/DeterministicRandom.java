package io.ringtrain.worker.data;

import java.nio.charset.StandardCharsets;

/**
 * A random stream that depends only on (seed, purpose, index): SplitMix64 for the bits and
 * Box-Muller over {@link StrictMath} for Gaussians.
 *
 * <p>Why not {@code java.util.Random} or ND4J's RNG: every worker process must draw exactly the
 * same numbers for the same seed, on any JDK and any ND4J backend (CPU or CUDA), and a tensor's
 * initial values must not shift when another tensor is added to the model. SplitMix64 and
 * {@code StrictMath} are fully specified; a stream per purpose keeps draws independent.
 *
 * <p>Not thread-safe: one instance per consumer.
 */
public final class DeterministicRandom {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;
    private double spareGaussian;
    private boolean hasSpareGaussian;

    private DeterministicRandom(long state) {
        this.state = state;
    }

    /**
     * The stream for one purpose, e.g. {@code ("init/w1", 0)} or {@code ("order", epoch)}.
     * Different purposes or indices give unrelated streams.
     */
    public static DeterministicRandom forPurpose(long seed, String purpose, long index) {
        long h = mix64(seed ^ fnv1a(purpose));
        h = mix64(h + GOLDEN_GAMMA * (index + 1));
        return new DeterministicRandom(h);
    }

    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix64(state);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), unbiased (rejection sampling). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, was " + bound);
        }
        // java.util.Random's rejection rule over 31 random bits: unbiased and specified.
        int bits;
        int value;
        do {
            bits = (int) (nextLong() >>> 33);
            value = bits % bound;
        } while (bits - value + (bound - 1) < 0);
        return value;
    }

    /** Standard normal (mean 0, variance 1). */
    public double nextGaussian() {
        if (hasSpareGaussian) {
            hasSpareGaussian = false;
            return spareGaussian;
        }
        final double u1 = 1.0 - nextDouble(); // (0, 1]: log stays finite
        final double u2 = nextDouble();
        final double radius = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
        final double angle = 2.0 * StrictMath.PI * u2;
        spareGaussian = radius * StrictMath.sin(angle);
        hasSpareGaussian = true;
        return radius * StrictMath.cos(angle);
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long fnv1a(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001B3L;
        }
        return h;
    }
}
