package io.ringtrain.worker.data;

import java.util.Arrays;

/**
 * A classification task generated from a seed, for the built-in example and for tests: inputs
 * are standard Gaussian vectors, and the label of {@code x} is the argmax of a fixed random
 * "teacher" network, {@code argmax(tanh(x T1) T2)}. A student MLP can learn it well but not
 * trivially (it is not linearly separable), and a held-out split from the same teacher measures
 * generalisation.
 *
 * <p>Every value is drawn from {@link DeterministicRandom} streams keyed by the seed and the
 * sample's index and computed in double precision on the heap, so all workers build identical
 * datasets without exchanging them. Generation is a one-off cost (about 0.1 s for the defaults).
 */
public final class SyntheticClassification {
    /** Teacher's first-layer weight scale: small enough that the boundaries are gently curved. */
    private static final double TEACHER_INPUT_SCALE = 0.5;

    private final Split train;
    private final Split heldOut;

    /**
     * @param features        input width (e.g. 32)
     * @param classes         number of classes (e.g. 10)
     * @param teacherHidden   teacher's hidden width (e.g. 64)
     * @param trainSamples    training split size
     * @param heldOutSamples  held-out split size
     */
    public SyntheticClassification(long seed, int features, int classes, int teacherHidden,
                                   int trainSamples, int heldOutSamples) {
        requirePositive("features", features);
        requirePositive("classes", classes);
        requirePositive("teacherHidden", teacherHidden);
        requirePositive("trainSamples", trainSamples);
        requirePositive("heldOutSamples", heldOutSamples);
        if (classes < 2) {
            throw new IllegalArgumentException("a classification task needs at least 2 classes, was " + classes);
        }
        final Teacher teacher = new Teacher(seed, features, teacherHidden, classes);
        this.train = new Split(seed, "train", features, classes, trainSamples, teacher);
        this.heldOut = new Split(seed, "held-out", features, classes, heldOutSamples, teacher);
    }

    public Dataset train() {
        return train;
    }

    public Dataset heldOut() {
        return heldOut;
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + value);
        }
    }

    private static final class Split implements Dataset {
        private final int features;
        private final int classes;
        private final float[] inputs;
        private final int[] labels;

        Split(long seed, String name, int features, int classes, int samples, Teacher teacher) {
            this.features = features;
            this.classes = classes;
            this.inputs = new float[Math.multiplyExact(samples, features)];
            this.labels = new int[samples];
            final double[] x = new double[features];
            for (int i = 0; i < samples; i++) {
                final DeterministicRandom random = DeterministicRandom.forPurpose(seed, "synthetic/" + name, i);
                for (int f = 0; f < features; f++) {
                    // The teacher sees the float32 value the student will see, so labels are exact.
                    final float value = (float) random.nextGaussian();
                    inputs[i * features + f] = value;
                    x[f] = value;
                }
                labels[i] = teacher.classify(x);
            }
        }

        @Override
        public long size() {
            return labels.length;
        }

        @Override
        public long[] featureShape() {
            return new long[] {features};
        }

        @Override
        public long[] labelShape() {
            return new long[] {classes};
        }

        @Override
        public void fill(Batch batch) {
            for (int row = 0; row < batch.size(); row++) {
                final int index = Math.toIntExact(batch.sampleIndex(row));
                batch.putFeatures(row, inputs, index * features);
                batch.putOneHot(row, labels[index]);
            }
        }
    }

    private static final class Teacher {
        private final double[][] inputWeights; // [features][hidden]
        private final double[][] outputWeights; // [hidden][classes]
        private final double[] hidden;

        Teacher(long seed, int features, int hiddenWidth, int classes) {
            final DeterministicRandom random = DeterministicRandom.forPurpose(seed, "synthetic/teacher", 0);
            this.inputWeights = gaussian(random, features, hiddenWidth, TEACHER_INPUT_SCALE / Math.sqrt(features));
            this.outputWeights = gaussian(random, hiddenWidth, classes, 1.0 / Math.sqrt(hiddenWidth));
            this.hidden = new double[hiddenWidth];
        }

        int classify(double[] x) {
            // Row-by-row accumulation keeps the inner loop sequential in memory.
            Arrays.fill(hidden, 0.0);
            for (int f = 0; f < x.length; f++) {
                final double xf = x[f];
                final double[] row = inputWeights[f];
                for (int h = 0; h < hidden.length; h++) {
                    hidden[h] += xf * row[h];
                }
            }
            for (int h = 0; h < hidden.length; h++) {
                hidden[h] = StrictMath.tanh(hidden[h]);
            }
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < outputWeights[0].length; c++) {
                double score = 0;
                for (int h = 0; h < hidden.length; h++) {
                    score += hidden[h] * outputWeights[h][c];
                }
                if (score > bestScore) {
                    bestScore = score;
                    best = c;
                }
            }
            return best;
        }

        private static double[][] gaussian(DeterministicRandom random, int rows, int cols, double scale) {
            final double[][] m = new double[rows][cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    m[r][c] = random.nextGaussian() * scale;
                }
            }
            return m;
        }
    }
}
