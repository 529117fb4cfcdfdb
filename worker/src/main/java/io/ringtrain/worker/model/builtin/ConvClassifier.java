package io.ringtrain.worker.model.builtin;

import io.ringtrain.worker.data.SyntheticImages;
import io.ringtrain.worker.model.Initializer;
import io.ringtrain.worker.model.samediff.HeldOutMetric;
import io.ringtrain.worker.model.samediff.SameDiffModel;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;

/**
 * The built-in image classifier ({@code --model cnn}), a SameDiff graph trained through {@link SameDiffModel} on
 * {@link SyntheticImages}: {@code blocks} times [3x3 convolution (same padding), ReLU, 2x2 max pooling], the channels
 * doubling from {@code channels} each block, then a ReLU dense layer of {@code dense} units and the class logits;
 * softmax cross-entropy, as a mean over the batch.
 *
 * <p>Parameters, in order: {@code conv<i>/w} ({@code [3, 3, in, out]}, He-normal) and {@code conv<i>/b} per block,
 * {@code dense/w}, {@code dense/b}, {@code out/w}, {@code out/b}. Sizes, for scaling studies (10 classes):
 * <pre>
 *   default (-O image-size=16 -O channels=8 -O blocks=2 -O dense=64)            18,346 parameters
 *   -O image-size=32 -O channels=32 -O blocks=3 -O dense=512                  1,146,890
 *   -O image-size=32 -O channels=128 -O blocks=3 -O dense=1024                9,876,490
 *   -O image-size=32 -O channels=256 -O blocks=3 -O dense=5632               98,238,986
 * </pre>
 */
final class ConvClassifier {
    private ConvClassifier() {
    }

    /** The options, read and checked; see the class comment. */
    record Config(long seed, int imageSize, int classes, int channels, int blocks, int dense, double noise,
                  int trainSamples, int heldOutSamples) {

        static Config from(ModelContext context) {
            ModelOptions o = context.options();
            Config c = new Config(context.seed(), o.integer("image-size", 16, 8, 1024), o.integer("classes", 10, 2, 1 << 16),
                    o.integer("channels", 8, 1, 4096), o.integer("blocks", 2, 1, 8), o.integer("dense", 64, 1, 1 << 16),
                    o.decimal("noise", 0.5, 0, 100), o.integer("train-samples", 16_384, 1, 1 << 30),
                    o.integer("held-out-samples", 1_024, 1, 1 << 24));
            if (c.imageSize >> c.blocks < 1) {
                throw new IllegalArgumentException("option blocks=" + c.blocks + " halves image-size=" + c.imageSize
                        + " below one pixel: use fewer blocks or larger images");
            }
            return c;
        }
    }

    static SameDiffModel create(ModelContext context) {
        Config c = Config.from(context);
        SyntheticImages images = new SyntheticImages(c.seed(), c.imageSize(), c.classes(), c.noise(), c.trainSamples(),
                c.heldOutSamples());
        DataType type = context.dataType();
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("images", type, -1, 1, c.imageSize(), c.imageSize());
        SDVariable y = sd.placeHolder("labels", type, -1, c.classes());
        var model = SameDiffModel.builder(sd).features("images").labels("labels").loss("loss")
                .trainingData(images.train()).heldOut(images.heldOut(), new HeldOutMetric.Accuracy("logits", c.classes()))
                // SameDiff keeps every activation of an evaluation batch; bound them to about 64 M floats.
                .evaluationBatch((int) Math.max(1, Math.min(256, (64L << 20) / ((long) c.imageSize() * c.imageSize() * c.channels()))));

        SDVariable h = x;
        long in = 1;
        long side = c.imageSize();
        for (int block = 0; block < c.blocks(); block++) {
            long out = (long) c.channels() << block;
            String w = "conv" + block + "/w";
            String b = "conv" + block + "/b";
            SDVariable weights = sd.var(w, type, 3, 3, in, out);
            SDVariable bias = sd.var(b, type, out);
            model.initializer(w, Initializer.heNormal()).initializer(b, Initializer.zeros());
            h = sd.cnn.conv2d(h, weights, bias, Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).paddingMode(PaddingMode.SAME)
                    .dataFormat("NCHW").weightsFormat(WeightsFormat.YXIO).build());
            h = sd.nn.relu(h, 0);
            h = sd.cnn.maxPooling2d(h, Pooling2DConfig.builder().kH(2).kW(2).sH(2).sW(2).paddingMode(PaddingMode.VALID)
                    .isNHWC(false).build());
            in = out;
            side /= 2;
        }
        long flat = in * side * side;
        h = h.reshape(-1, flat);
        h = sd.nn.relu(dense(sd, model, "dense", h, flat, c.dense(), type), 0);
        SDVariable logits = sd.identity("logits", dense(sd, model, "out", h, c.dense(), c.classes(), type));
        sd.loss.softmaxCrossEntropy("loss", y, logits, null); // mean over the batch
        return model.build();
    }

    private static SDVariable dense(SameDiff sd, SameDiffModel.Builder model, String name, SDVariable in, long inputs,
                                    long outputs, DataType type) {
        SDVariable w = sd.var(name + "/w", type, inputs, outputs);
        SDVariable b = sd.var(name + "/b", type, outputs);
        model.initializer(name + "/w", Initializer.heNormal()).initializer(name + "/b", Initializer.zeros());
        return in.mmul(w).add(b);
    }
}
