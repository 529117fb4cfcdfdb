package io.ringtrain.coordinator.toy;

/** The toy model's data: y = TARGET·x, x in [-1, 1) drawn from (seed, step, sample index) alone. */
public final class ToyModel {

    public static final double TARGET = 3.0;

    private ToyModel() {
    }

    /** So that every rank can generate any sample of any step, whatever the world size. */
    public static double sample(long seed, long step, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53 * 2 - 1;
    }
}
