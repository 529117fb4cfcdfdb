package io.ringtrain.worker.model.dl4j;

import io.ringtrain.worker.data.SyntheticClassification;
import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelProvider;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A user's DL4J network: a MultiLayerNetwork ({@code dl4j-test}) or the same layers as a ComputationGraph
 * ({@code dl4j-graph-test}), on data from the seed. Registered in the test class path's META-INF/services.
 */
public class Dl4jClassifier implements ModelProvider {
    static final int FEATURES = 8;
    static final int CLASSES = 4;

    @Override
    public String name() {
        return "dl4j-test";
    }

    @Override
    public Model create(ModelContext context) {
        int hidden = context.options().integer("hidden", 16, 1, 4096);
        var task = new SyntheticClassification(context.seed(), FEATURES, CLASSES, 16, 2048, 512);
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(context.seed()).dataType(context.dataType());
        DenseLayer dense = new DenseLayer.Builder().nIn(FEATURES).nOut(hidden).activation(Activation.TANH).build();
        OutputLayer out = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(hidden).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build();
        if (graph()) {
            var conf = base.graphBuilder().addInputs("x").addLayer("dense", dense, "x").addLayer("out", out, "dense")
                    .setOutputs("out").build();
            return Dl4jModel.of(new ComputationGraph(conf), task.train(), task.heldOut(), CLASSES);
        }
        return Dl4jModel.of(new MultiLayerNetwork(base.list().layer(dense).layer(out).build()), task.train(), task.heldOut(),
                CLASSES);
    }

    boolean graph() {
        return false;
    }

    /** The same layers as a ComputationGraph. */
    public static final class AsGraph extends Dl4jClassifier {
        @Override
        public String name() {
            return "dl4j-graph-test";
        }

        @Override
        boolean graph() {
            return true;
        }
    }
}
