package io.ringtrain.worker.model.samediff;

import io.ringtrain.worker.data.SyntheticClassification;
import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelProvider;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.weightinit.impl.XavierInitScheme;
import org.nd4j.weightinit.impl.ZeroInitScheme;

/**
 * A user's SameDiff model, as the README shows it: a graph with placeholders and a mean loss, no gradient code.
 * {@code ringtrain local --model samediff-test -O hidden=64}. Registered in the test class path's META-INF/services.
 */
public final class SameDiffClassifier implements ModelProvider {
    static final int FEATURES = 8;
    static final int CLASSES = 4;

    @Override
    public String name() {
        return "samediff-test";
    }

    @Override
    public Model create(ModelContext context) {
        int hidden = context.options().integer("hidden", 16, 1, 4096);
        boolean sumLoss = context.options().flag("sum-loss", false); // the mistake the sum check catches
        var task = new SyntheticClassification(context.seed(), FEATURES, CLASSES, 16, 2048, 512);

        SameDiff sd = SameDiff.create();
        DataType type = context.dataType();
        SDVariable x = sd.placeHolder("x", type, -1, FEATURES);
        SDVariable y = sd.placeHolder("y", type, -1, CLASSES);
        SDVariable w1 = sd.var("w1", new XavierInitScheme('c', FEATURES, hidden), type, FEATURES, hidden);
        SDVariable b1 = sd.var("b1", new ZeroInitScheme(), type, hidden); // sd.zero(...) would be a constant
        SDVariable w2 = sd.var("w2", new XavierInitScheme('c', hidden, CLASSES), type, hidden, CLASSES);
        SDVariable b2 = sd.var("b2", new ZeroInitScheme(), type, CLASSES);
        SDVariable h = sd.nn.tanh(x.mmul(w1).add(b1));
        SDVariable logits = h.mmul(w2).add("logits", b2);
        if (sumLoss) {
            // Summed cross-entropy, written out: arithmetic after an sd.loss op would not reach its gradient.
            sd.math.neg("loss", sd.sum(y.mul(sd.nn.logSoftmax(logits))));
        } else {
            sd.loss.softmaxCrossEntropy("loss", y, logits, null); // the mean over the batch
        }
        return SameDiffModel.builder(sd).features("x").labels("y").loss("loss")
                .trainingData(task.train())
                .heldOut(task.heldOut(), new HeldOutMetric.Accuracy("logits", CLASSES))
                .build();
    }
}
