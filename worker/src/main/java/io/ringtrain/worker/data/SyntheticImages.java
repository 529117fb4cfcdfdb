package io.ringtrain.worker.data;

/**
 * An image classification task generated from a seed, for the built-in CNN: each class has a prototype made of a few
 * bright strokes on a dark square; a sample is its class's prototype moved by up to {@code size/8} pixels either way,
 * scaled in brightness, with Gaussian noise. Where the strokes lie says the class, wherever the image is moved, which
 * is what convolutions and pooling are good at and what a linear model on the pixels is not.
 *
 * <p>Every sample is drawn from {@link DeterministicRandom} streams keyed by the seed, the split and its index when
 * a batch asks for it (nothing is stored), so all workers see identical data at any size.
 */
public final class SyntheticImages {
    private final int size;
    private final int classes;
    private final float[][] prototypes;
    private final double noise;
    private final Split train;
    private final Split heldOut;

    /**
     * @param size   image height and width in pixels (at least 8)
     * @param noise  standard deviation of the per-pixel noise, against strokes of brightness about 1
     */
    public SyntheticImages(long seed, int size, int classes, double noise, int trainSamples, int heldOutSamples) {
        if (size < 8 || classes < 2 || trainSamples < 1 || heldOutSamples < 1 || !(noise >= 0)) {
            throw new IllegalArgumentException("synthetic images need size >= 8, classes >= 2, samples >= 1 and noise >= 0;"
                    + " got size " + size + ", classes " + classes + ", noise " + noise + ", samples " + trainSamples + "/"
                    + heldOutSamples);
        }
        this.size = size;
        this.classes = classes;
        this.noise = noise;
        this.prototypes = new float[classes][];
        for (int c = 0; c < classes; c++) {
            prototypes[c] = prototype(DeterministicRandom.forPurpose(seed, "images/prototype", c));
        }
        this.train = new Split(seed, "images/train", trainSamples);
        this.heldOut = new Split(seed, "images/held-out", heldOutSamples);
    }

    public Dataset train() {
        return train;
    }

    public Dataset heldOut() {
        return heldOut;
    }

    /** Three strokes, each a short line of a random direction and length, drawn in the central part of the image. */
    private float[] prototype(DeterministicRandom random) {
        float[] image = new float[size * size];
        int margin = size / 4;
        for (int stroke = 0; stroke < 3; stroke++) {
            double x = margin + random.nextDouble() * (size - 2 * margin);
            double y = margin + random.nextDouble() * (size - 2 * margin);
            double angle = random.nextDouble() * Math.PI;
            double length = size / 4.0 + random.nextDouble() * size / 4.0;
            for (double t = -length / 2; t <= length / 2; t += 0.5) {
                int px = (int) Math.round(x + t * Math.cos(angle));
                int py = (int) Math.round(y + t * Math.sin(angle));
                if (px >= 0 && px < size && py >= 0 && py < size) {
                    image[py * size + px] = 1f;
                }
            }
        }
        return image;
    }

    private final class Split implements Dataset {
        private final long seed;
        private final String purpose;
        private final int samples;
        private final float[] pixels = new float[size * size];

        Split(long seed, String purpose, int samples) {
            this.seed = seed;
            this.purpose = purpose;
            this.samples = samples;
        }

        @Override
        public long size() {
            return samples;
        }

        @Override
        public long[] featureShape() {
            return new long[] {1, size, size};
        }

        @Override
        public long[] labelShape() {
            return new long[] {classes};
        }

        @Override
        public void fill(Batch batch) {
            int shift = Math.max(1, size / 8);
            for (int row = 0; row < batch.size(); row++) {
                DeterministicRandom random = DeterministicRandom.forPurpose(seed, purpose, batch.sampleIndex(row));
                int label = random.nextInt(classes);
                int dx = random.nextInt(2 * shift + 1) - shift;
                int dy = random.nextInt(2 * shift + 1) - shift;
                double brightness = 0.7 + 0.6 * random.nextDouble();
                float[] prototype = prototypes[label];
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int sx = x - dx;
                        int sy = y - dy;
                        double value = sx >= 0 && sx < size && sy >= 0 && sy < size ? prototype[sy * size + sx] * brightness : 0;
                        pixels[y * size + x] = (float) (value + noise * random.nextGaussian());
                    }
                }
                batch.putFeatures(row, pixels, 0);
                batch.putOneHot(row, label);
            }
        }
    }
}
