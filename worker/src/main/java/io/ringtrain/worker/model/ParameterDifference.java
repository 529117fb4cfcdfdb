package io.ringtrain.worker.model;

/**
 * How far two parameter vectors (e.g. two exported {@code .npy} files) are apart, in the measure ringtrain's
 * equivalence guarantee uses: max|a-b| / max|a|. Element-wise relative error is the wrong measure: summation
 * order changes the last bits of every sum, training amplifies that, and parameters that happen to be near zero
 * then differ by more than 1e-5 of themselves while the vector as a whole agrees to about 1e-7.
 */
public final class ParameterDifference {
    private ParameterDifference() {
    }

    public static double maxRelative(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("parameter vectors differ in length: " + a.length + " vs " + b.length);
        }
        double largestDifference = 0;
        double largest = 0;
        for (int i = 0; i < a.length; i++) {
            largestDifference = Math.max(largestDifference, Math.abs(a[i] - b[i]));
            largest = Math.max(largest, Math.abs(a[i]));
        }
        return largest == 0 ? largestDifference : largestDifference / largest;
    }
}
