package io.ringtrain.worker.model.dl4j;

import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the adapter needs of a DL4J network, for both kinds: DL4J gives {@link MultiLayerNetwork} and
 * {@link ComputationGraph} the same operations without a common interface for them.
 */
sealed interface Network {

    /** A fresh copy, initialized from the configuration's seed: where the initial values come from. */
    Network initializedCopy();

    long numParams();

    /** Parameter views by name, in the order they lie in the flat parameter vector. */
    Map<String, INDArray> paramTable();

    INDArray params();

    /**
     * Makes the network use {@code parameters} (a {@code [1, numParams]} view) as its flat parameter array, as it is:
     * no copy, no initialization. Once.
     */
    void bindParameters(INDArray parameters);

    /** Makes the network write its gradients into {@code gradients} ({@code [1, numParams]}), after binding parameters. */
    void bindGradients(INDArray gradients);

    void feed(INDArray features, INDArray labels);

    /** The mean loss over a batch, without gradients. */
    double score(INDArray features, INDArray labels);

    void computeGradientAndScore();

    /** The mean loss over the batch fed last (plus DL4J's regularization terms, if configured). */
    double score();

    INDArray output(INDArray features);

    record Layers(MultiLayerNetwork net) implements Network {
        @Override
        public Network initializedCopy() {
            MultiLayerNetwork copy = new MultiLayerNetwork(net.getLayerWiseConfigurations().clone());
            copy.init();
            return new Layers(copy);
        }

        @Override
        public long numParams() {
            return net.numParams();
        }

        @Override
        public Map<String, INDArray> paramTable() {
            return net.paramTable();
        }

        @Override
        public INDArray params() {
            return net.params();
        }

        @Override
        public void bindParameters(INDArray parameters) {
            net.init(parameters, false);
            // DL4J creates its own gradient array on first use (replacing one set before); make it now, so ours stays.
            net.initGradientsView();
        }

        @Override
        public void bindGradients(INDArray gradients) {
            net.setBackpropGradientsViewArray(gradients);
        }

        @Override
        public double score(INDArray features, INDArray labels) {
            return net.score(new org.nd4j.linalg.dataset.DataSet(features, labels));
        }

        @Override
        public void feed(INDArray features, INDArray labels) {
            net.setInput(features);
            net.setLabels(labels);
        }

        @Override
        public void computeGradientAndScore() {
            net.computeGradientAndScore();
        }

        @Override
        public double score() {
            return net.score();
        }

        @Override
        public INDArray output(INDArray features) {
            return net.output(features);
        }
    }

    record Graph(ComputationGraph net) implements Network {
        @Override
        public Network initializedCopy() {
            ComputationGraph copy = new ComputationGraph(net.getConfiguration().clone());
            copy.init();
            return new Graph(copy);
        }

        @Override
        public long numParams() {
            return net.numParams();
        }

        @Override
        public Map<String, INDArray> paramTable() {
            return net.paramTable();
        }

        @Override
        public INDArray params() {
            return net.params();
        }

        @Override
        public void bindParameters(INDArray parameters) {
            net.init(parameters, false);
            net.initGradientsView();
        }

        @Override
        public void bindGradients(INDArray gradients) {
            net.setBackpropGradientsViewArray(gradients);
        }

        @Override
        public double score(INDArray features, INDArray labels) {
            return net.score(new org.nd4j.linalg.dataset.DataSet(features, labels));
        }

        @Override
        public void feed(INDArray features, INDArray labels) {
            net.setInputs(features);
            net.setLabels(labels);
        }

        @Override
        public void computeGradientAndScore() {
            net.computeGradientAndScore();
        }

        @Override
        public double score() {
            return net.score();
        }

        @Override
        public INDArray output(INDArray features) {
            return net.outputSingle(features);
        }
    }
}
