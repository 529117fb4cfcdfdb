package io.ringtrain.worker.model.dl4j;

import io.ringtrain.worker.data.Batch;
import io.ringtrain.worker.data.Dataset;
import io.ringtrain.worker.model.InitialValues;
import io.ringtrain.worker.model.ParameterSpec;
import io.ringtrain.worker.train.Evaluation;
import io.ringtrain.worker.train.Gradients;
import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.Parameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.LongStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A DL4J network ({@link MultiLayerNetwork}, or a {@link ComputationGraph} with one input and one output) as a
 * {@link Model}. DL4J keeps all of a network's parameters in one flat array and its gradients in another; the adapter
 * makes the replica's state arena and gradient arena those arrays, so DL4J reads parameters from and writes gradients
 * into the memory the data plane all-reduces: no copy either way. DL4J's backward pass already leaves the sum of the
 * per-sample gradients (its updater, unused here, divides by the minibatch size: measured, and the first step's sum
 * check would stop a network for which that is not so); its score, the mean loss, is multiplied by the batch size.
 *
 * <p>Parameters are the network's, one 1-D tensor per entry of its {@code paramTable()} (named as there:
 * {@code 0_W}, {@code 0_b}, ...), in its flat order; DL4J stores weight matrices column-major inside that array, so a
 * tensor's shape is its element count. Initial values are DL4J's, drawn from the configuration's seed (set it from
 * {@code ModelContext.seed()}, or every worker draws others and the ring refuses to start).
 *
 * <p>What it cannot do: DL4J computes all gradients in one call and says nothing as each layer finishes, so they are
 * reported ready together after backward (no overlap of all-reduce and backward, unlike {@code SameDiffModel}); the
 * network's own updater and regularization settings are not used (the run's optimizer is, with
 * {@code -O optim.weight-decay}); masks, several inputs or outputs, and recurrent state are not fed.
 *
 * <p>One instance serves one replica.
 */
public final class Dl4jModel implements Model {
    private final Network network;
    private final Dataset trainingData;
    private final Dataset heldOut;
    private final int classes;
    private final List<ParameterSpec> parameters;
    private final DataType dataType;
    private Parameters bound;
    private INDArray boundGradients;

    private Dl4jModel(Network network, Dataset trainingData, Dataset heldOut, int classes) {
        this.network = network;
        this.trainingData = Objects.requireNonNull(trainingData, "trainingData");
        this.heldOut = heldOut;
        this.classes = classes;
        Network initialized = network.initializedCopy();
        INDArray flat = initialized.params();
        this.dataType = flat.dataType();
        List<ParameterSpec> specs = new ArrayList<>();
        long expectedOffset = flat.offset();
        for (Map.Entry<String, INDArray> p : initialized.paramTable().entrySet()) {
            INDArray view = p.getValue();
            if (view.offset() != expectedOffset) {
                throw new IllegalStateException("DL4J's parameter '" + p.getKey() + "' is not where the flat parameter array"
                        + " puts it next (element " + (view.offset() - flat.offset()) + ", expected "
                        + (expectedOffset - flat.offset()) + "): this network cannot be trained in place");
            }
            expectedOffset += view.length();
            long from = view.offset() - flat.offset();
            INDArray values = flat.reshape(flat.length()).get(NDArrayIndex.interval(from, from + view.length())).dup();
            specs.add(ParameterSpec.of(p.getKey(), new InitialValues(p.getKey(), values), view.length()));
        }
        this.parameters = List.copyOf(specs);
    }

    /** Trains {@code net} (configured, with or without {@code init()}: the adapter initializes it in the arena). */
    public static Dl4jModel of(MultiLayerNetwork net, Dataset trainingData, Dataset heldOut, int classes) {
        return new Dl4jModel(new Network.Layers(net), trainingData, heldOut, classes);
    }

    /** As {@link #of(MultiLayerNetwork, Dataset, Dataset, int)} for a graph with one input and one output. */
    public static Dl4jModel of(ComputationGraph graph, Dataset trainingData, Dataset heldOut, int classes) {
        return new Dl4jModel(new Network.Graph(graph), trainingData, heldOut, classes);
    }

    @Override
    public List<ParameterSpec> parameters() {
        return parameters;
    }

    @Override
    public Dataset trainingData() {
        return trainingData;
    }

    @Override
    public double gradientSum(Parameters p, Batch batch, Gradients gradients) {
        bind(p);
        if (boundGradients == null) {
            boundGradients = gradients.flat();
            network.bindGradients(boundGradients.reshape(1, boundGradients.length()));
        }
        network.feed(batch.features(), batch.labels());
        network.computeGradientAndScore();
        // DL4J's backward pass leaves the SUM over the batch (its own updater divides by the minibatch size), which is
        // what ringtrain all-reduces; its score is the mean.
        return network.score() * batch.size();
    }

    @Override
    public Evaluation evaluate(Parameters p) {
        if (heldOut == null) {
            return Evaluation.none();
        }
        bind(p);
        DataType type = p.flat().dataType();
        long n = heldOut.size();
        double lossSum = 0;
        long correct = 0;
        for (long from = 0; from < n; from += 256) {
            long[] rows = LongStream.range(from, Math.min(n, from + 256)).toArray();
            Batch batch = Batch.of(heldOut, rows, type);
            lossSum += network.score(batch.features(), batch.labels()) * rows.length;
            INDArray predicted = network.output(batch.features()).argMax(-1);
            correct += predicted.eq(batch.labels().argMax(-1)).castTo(DataType.INT64).sumNumber().longValue();
        }
        return Evaluation.classification(n, lossSum / n, (double) correct / n, classes);
    }

    /** Makes the state arena the network's flat parameter array, once. */
    private void bind(Parameters p) {
        if (bound == p) {
            return;
        }
        if (bound != null) {
            throw new IllegalStateException("a Dl4jModel serves one replica: build another for another replica");
        }
        INDArray flat = p.flat();
        if (flat.dataType() != dataType) {
            throw new IllegalArgumentException("the network is " + dataType + " but the replica keeps " + flat.dataType()
                    + " parameters: configure the network's dataType from ModelContext.dataType()");
        }
        network.bindParameters(flat.reshape(1, flat.length()));
        bound = p;
    }
}
