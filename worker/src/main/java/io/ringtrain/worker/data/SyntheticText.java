package io.ringtrain.worker.data;

/**
 * Token sequences generated from a seed, for the built-in language model: a second-order Markov chain over a
 * vocabulary of {@code V} tokens in which each pair of previous tokens allows three next tokens, with probabilities
 * 0.6, 0.3 and 0.1 (which three is a hash of the seed and the pair). A model that uses the two previous tokens can
 * reach a perplexity of {@code exp(H) = 2.46} ({@link #BEST_PERPLEXITY}) on every token but the first label, which
 * follows one random token only (about 2.76 over a sequence of 16); one that ignores the context, {@code V}.
 *
 * <p>A sample is {@code seq + 1} tokens: the features are the first {@code seq}, the labels the last {@code seq}
 * (each position's next token), both as floats (token ids are exact in float32 below 2^24). Drawn when a batch asks
 * for it from {@link DeterministicRandom} streams keyed by the seed, the split and the index; nothing is stored.
 */
public final class SyntheticText {
    private static final double[] NEXT_PROBABILITIES = {0.6, 0.3, 0.1};
    /** exp of the chain's entropy per token, -sum p ln p over {0.6, 0.3, 0.1}: the best perplexity a model can get. */
    public static final double BEST_PERPLEXITY = Math.exp(-(0.6 * Math.log(0.6) + 0.3 * Math.log(0.3) + 0.1 * Math.log(0.1)));

    private final long seed;
    private final int vocabulary;
    private final int length;
    private final Split train;
    private final Split heldOut;

    public SyntheticText(long seed, int vocabulary, int length, int trainSamples, int heldOutSamples) {
        if (vocabulary < 4 || vocabulary > 1 << 24 || length < 2 || trainSamples < 1 || heldOutSamples < 1) {
            throw new IllegalArgumentException("synthetic text needs a vocabulary of 4 to 2^24 tokens, sequences of at least 2"
                    + " and samples >= 1; got vocabulary " + vocabulary + ", length " + length);
        }
        this.seed = seed;
        this.vocabulary = vocabulary;
        this.length = length;
        this.train = new Split("text/train", trainSamples);
        this.heldOut = new Split("text/held-out", heldOutSamples);
    }

    public Dataset train() {
        return train;
    }

    public Dataset heldOut() {
        return heldOut;
    }

    /** The {@code choice}-th allowed successor of the pair {@code (a, b)}; the three are distinct. */
    private int successor(int a, int b, int choice) {
        DeterministicRandom r = DeterministicRandom.forPurpose(seed, "text/chain", (long) a * vocabulary + b);
        int first = r.nextInt(vocabulary);
        int second = (first + 1 + r.nextInt(vocabulary - 1)) % vocabulary;
        int third = second;
        while (third == first || third == second) {
            third = r.nextInt(vocabulary);
        }
        return choice == 0 ? first : choice == 1 ? second : third;
    }

    private final class Split implements Dataset {
        private final String purpose;
        private final int samples;
        private final float[] tokens = new float[length + 1];

        Split(String purpose, int samples) {
            this.purpose = purpose;
            this.samples = samples;
        }

        @Override
        public long size() {
            return samples;
        }

        @Override
        public long[] featureShape() {
            return new long[] {length};
        }

        @Override
        public long[] labelShape() {
            return new long[] {length};
        }

        @Override
        public void fill(Batch batch) {
            for (int row = 0; row < batch.size(); row++) {
                DeterministicRandom random = DeterministicRandom.forPurpose(seed, purpose, batch.sampleIndex(row));
                int a = random.nextInt(vocabulary);
                int b = random.nextInt(vocabulary);
                tokens[0] = a;
                tokens[1] = b;
                for (int i = 2; i <= length; i++) {
                    double u = random.nextDouble();
                    int choice = u < NEXT_PROBABILITIES[0] ? 0 : u < NEXT_PROBABILITIES[0] + NEXT_PROBABILITIES[1] ? 1 : 2;
                    int next = successor(a, b, choice);
                    tokens[i] = next;
                    a = b;
                    b = next;
                }
                batch.putFeatures(row, tokens, 0);
                batch.putLabels(row, tokens, 1);
            }
        }
    }
}
