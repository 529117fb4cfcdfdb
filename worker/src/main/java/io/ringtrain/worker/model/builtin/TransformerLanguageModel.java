package io.ringtrain.worker.model.builtin;

import io.ringtrain.worker.data.SyntheticText;
import io.ringtrain.worker.model.Initializer;
import io.ringtrain.worker.model.samediff.HeldOutMetric;
import io.ringtrain.worker.model.samediff.SameDiffModel;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The built-in language model ({@code --model gpt}): a decoder-only transformer in the GPT-2 layout (pre-norm blocks
 * of causal multi-head self-attention and a GELU MLP four times as wide, learned position embeddings, a final layer
 * norm and an untied output layer), a SameDiff graph trained through {@link SameDiffModel} on {@link SyntheticText},
 * with the mean next-token cross-entropy over the batch's positions as its loss. Held-out perplexity is reported
 * beside the vocabulary size (a uniform guess).
 *
 * <p>Parameters: {@code 12 d^2 + 13 d} per layer for width {@code d}, plus {@code (vocab + seq) d} embeddings and
 * {@code d vocab + vocab + 2d} at the top. Sizes, for scaling studies:
 * <pre>
 *   default (-O vocab=16 -O seq=16 -O width=32 -O layers=2 -O heads=2)             27,024 parameters
 *   -O vocab=256 -O seq=64 -O width=128 -O layers=4 -O heads=4                    867,328
 *   -O vocab=1024 -O seq=64 -O width=384 -O layers=6 -O heads=6                11,459,584
 *   -O vocab=1024 -O seq=64 -O width=768 -O layers=14 -O heads=12             100,854,784
 * </pre>
 */
final class TransformerLanguageModel {
    private TransformerLanguageModel() {
    }

    /** The options, read and checked; see the class comment. */
    record Config(long seed, int vocab, int seq, int width, int layers, int heads, int trainSamples, int heldOutSamples) {

        static Config from(ModelContext context) {
            ModelOptions o = context.options();
            Config c = new Config(context.seed(), o.integer("vocab", 16, 4, 1 << 20), o.integer("seq", 16, 2, 1 << 14),
                    o.integer("width", 32, 1, 1 << 14), o.integer("layers", 2, 1, 256), o.integer("heads", 2, 1, 256),
                    o.integer("train-samples", 16_384, 1, 1 << 30), o.integer("held-out-samples", 512, 1, 1 << 24));
            if (c.width % c.heads != 0) {
                throw new IllegalArgumentException("option width=" + c.width + " is not a multiple of heads=" + c.heads
                        + ": each head gets width/heads of the model's width");
            }
            return c;
        }
    }

    static SameDiffModel create(ModelContext context) {
        Config c = Config.from(context);
        SyntheticText text = new SyntheticText(c.seed(), c.vocab(), c.seq(), c.trainSamples(), c.heldOutSamples());
        DataType type = context.dataType();
        int d = c.width();
        int t = c.seq();
        int headWidth = d / c.heads();
        SameDiff sd = SameDiff.create();
        SDVariable tokens = sd.placeHolder("tokens", type, -1, t);
        SDVariable next = sd.placeHolder("next", type, -1, t);
        var model = SameDiffModel.builder(sd).features("tokens").labels("next").loss("loss")
                .trainingData(text.train()).heldOut(text.heldOut(), new HeldOutMetric.Perplexity(c.vocab()))
                // SameDiff keeps every activation of an evaluation batch: 256 sequences of 64 tokens through the
                // 100 M size took a worker past 10 GB (OOM-killed, measured); 2048 tokens at a time bounds it.
                .evaluationBatch(Math.max(1, 2048 / t));

        SDVariable tokenEmbedding = weight(sd, model, "embed/tokens", type, Initializer.normal(0.02), c.vocab(), d);
        SDVariable positionEmbedding = weight(sd, model, "embed/positions", type, Initializer.normal(0.01), t, d);
        // The residual stream is kept as [batch * seq, width] rows, so every dense layer is one plain matrix product.
        // The lookup is a one-hot matrix product, not sd.gather: gather's backward in SameDiff 1.0.0-M2.1 took 10-60 s
        // per step for a 16 x 32 table (measured), the product 17 ms for the whole step.
        SDVariable oneHot = sd.oneHot(tokens.reshape(-1).castTo(DataType.INT32), c.vocab(), -1, 1.0, 0.0, type);
        SDVariable h = oneHot.mmul(tokenEmbedding).reshape(-1, t, d).add(positionEmbedding).reshape(-1, d);

        // Additive causal mask: position i may attend to positions <= i.
        INDArray mask = Nd4j.create(type, t, t);
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                mask.putScalar(i, j, -1e9);
            }
        }
        SDVariable causal = sd.constant("causal-mask", mask);
        double residualScale = 0.02 / Math.sqrt(2.0 * c.layers()); // GPT-2: residual projections scaled by depth

        for (int layer = 0; layer < c.layers(); layer++) {
            String p = String.format("block%02d/", layer);
            SDVariable a = layerNorm(sd, model, p + "ln1", h, d, type);
            SDVariable q = heads(dense(sd, model, p + "attn/q", a, d, d, type, 0.02), t, c.heads(), headWidth);
            SDVariable k = heads(dense(sd, model, p + "attn/k", a, d, d, type, 0.02), t, c.heads(), headWidth);
            SDVariable v = heads(dense(sd, model, p + "attn/v", a, d, d, type, 0.02), t, c.heads(), headWidth);
            SDVariable scores = sd.mmul(q, k, false, true, false).mul(1.0 / Math.sqrt(headWidth)).add(causal);
            SDVariable attended = sd.mmul(sd.nn.softmax(scores), v); // [batch, heads, seq, headWidth]
            SDVariable merged = sd.permute(attended, 0, 2, 1, 3).reshape(-1, d);
            h = h.add(dense(sd, model, p + "attn/out", merged, d, d, type, residualScale));
            SDVariable m = layerNorm(sd, model, p + "ln2", h, d, type);
            m = sd.nn.gelu(dense(sd, model, p + "mlp/in", m, d, 4L * d, type, 0.02));
            h = h.add(dense(sd, model, p + "mlp/out", m, 4L * d, d, type, residualScale));
        }
        h = layerNorm(sd, model, "final/ln", h, d, type);
        SDVariable logits = dense(sd, model, "head", h, d, c.vocab(), type, 0.02);
        SDVariable targets = sd.oneHot(next.reshape(-1).castTo(DataType.INT32), c.vocab(), -1, 1.0, 0.0, type);
        sd.loss.softmaxCrossEntropy("loss", targets, logits, null); // mean over batch * seq positions
        return model.build();
    }

    /** {@code [batch * seq, width]} to {@code [batch, heads, seq, headWidth]}. */
    private static SDVariable heads(SDVariable rows, int seq, int heads, int headWidth) {
        return rows.reshape(-1, seq, heads, headWidth).permute(0, 2, 1, 3);
    }

    private static SDVariable weight(SameDiff sd, SameDiffModel.Builder model, String name, DataType type, Initializer init,
                                     long... shape) {
        model.initializer(name, init);
        return sd.var(name, type, shape);
    }

    private static SDVariable dense(SameDiff sd, SameDiffModel.Builder model, String name, SDVariable in, long inputs,
                                    long outputs, DataType type, double scale) {
        SDVariable w = weight(sd, model, name + "/w", type, Initializer.normal(scale), inputs, outputs);
        SDVariable b = weight(sd, model, name + "/b", type, Initializer.zeros(), outputs);
        return in.mmul(w).add(b);
    }

    private static SDVariable layerNorm(SameDiff sd, SameDiffModel.Builder model, String name, SDVariable in, long width,
                                        DataType type) {
        SDVariable gain = weight(sd, model, name + "/gain", type, Initializer.constant(1), width);
        SDVariable bias = weight(sd, model, name + "/bias", type, Initializer.zeros(), width);
        return sd.nn.layerNorm(in, gain, bias, false, 1);
    }
}
