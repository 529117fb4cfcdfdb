package io.ringtrain.worker.model.samediff;

import io.ringtrain.worker.data.Batch;
import io.ringtrain.worker.data.Dataset;
import io.ringtrain.worker.model.Initializer;
import io.ringtrain.worker.model.InitialValues;
import io.ringtrain.worker.model.ParameterSpec;
import io.ringtrain.worker.train.Evaluation;
import io.ringtrain.worker.train.Gradients;
import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.Parameters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.LongStream;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SameDiff graph as a {@link Model}: the user builds the graph with placeholders for the features and the labels
 * and a scalar loss written the usual way, as a <b>mean</b> over the batch; ringtrain trains it data-parallel with no
 * gradient code.
 *
 * <ul>
 *   <li><b>Parameters</b> are the graph's trainable variables ({@link VariableType#VARIABLE}), in the order the forward
 *       pass first uses them. They live in the replica's state arena, and the graph reads them there: each variable's
 *       array is the arena view itself (no copy; SameDiff's default array holder would copy a view, so the graph gets
 *       a plain one). Initial values are the graph's own (ringtrain seeds ND4J's random generator with the run's seed
 *       before a model is built, so weight-init schemes draw the same values on every worker), or an
 *       {@link Initializer} per variable drawn from {@code (seed, name)} ({@link Builder#initializer}).</li>
 *   <li><b>Gradients</b> come from SameDiff's automatic differentiation. SameDiff computes them into arrays of its own,
 *       so each one is copied into the gradient arena, the moment the op that produces it has run, multiplied by the
 *       batch's size: the mean loss's gradient becomes the sum of per-sample gradients that ringtrain all-reduces and
 *       divides by the global batch, so the update is the mean over the global batch whatever the world size. Each is
 *       reported ready as it is copied, so its bucket's all-reduce overlaps the rest of backward. That one scaled copy
 *       per gradient per step is the only copy: ND4J gives no way to make SameDiff write a gradient into a given
 *       array.</li>
 * </ul>
 *
 * <p>A hazard of SameDiff 1.0.0-M2.1, measured: the backward pass of its loss ops ({@code sd.loss.*}) ignores what the
 * graph does to their output afterwards ({@code sd.loss.softmaxCrossEntropy(...).mul(2)} has the gradient of the loss
 * without the 2). Make the loss op's output the loss, or write the loss out with plain ops. A loss scaled by the batch
 * size that way (a sum) is caught at the first step ({@code Replica}'s sum check); a constant factor is not.
 * Variables from {@code sd.zero(...)} or {@code sd.constant(...)} are constants, not trained; use
 * {@code sd.var(name, new ZeroInitScheme(), ...)}.
 *
 * <p>One instance serves one replica (its variables are bound to that replica's arena).
 */
public final class SameDiffModel implements Model {
    private static final Logger LOG = LoggerFactory.getLogger(SameDiffModel.class);

    private final SameDiff graph;
    private final String features;
    private final String labels;
    private final String loss;
    private final Dataset trainingData;
    private final Dataset heldOut;
    private final HeldOutMetric metric;
    private final int evaluationBatch;
    private final List<String> names;
    private final List<ParameterSpec> parameters;
    private GradientCapture capture;
    private final Map<String, INDArray> placeholders = new HashMap<>(4);
    private Parameters bound;

    private SameDiffModel(Builder b) {
        this.graph = b.graph;
        this.features = b.features;
        this.labels = b.labels;
        this.loss = b.loss;
        this.trainingData = b.trainingData;
        this.heldOut = b.heldOut;
        this.metric = b.metric;
        this.evaluationBatch = b.evaluationBatch;

        requireVariable(features, "features", true);
        requireVariable(labels, "labels", true);
        requireVariable(loss, "loss", false);
        graph.setLossVariables(loss);

        List<String> trainable = new ArrayList<>();
        for (SDVariable v : graph.variables()) {
            if (v.getVariableType() == VariableType.VARIABLE) {
                trainable.add(v.name());
            }
        }
        if (trainable.isEmpty()) {
            throw new IllegalArgumentException("the graph has no trainable variables (sd.var(...)): nothing to train");
        }
        this.names = ForwardOrder.of(graph, trainable);
        for (String name : b.initializers.keySet()) {
            if (!trainable.contains(name)) {
                throw new IllegalArgumentException("initializer for '" + name + "', which is not a trainable variable of the"
                        + " graph; its trainable variables are " + names);
            }
        }
        List<ParameterSpec> specs = new ArrayList<>();
        for (String name : names) {
            INDArray initial = graph.getArrForVarName(name);
            if (initial.rank() == 0) {
                throw new IllegalArgumentException("variable '" + name + "' is a scalar: give it shape [1]");
            }
            Initializer init = b.initializers.get(name);
            specs.add(ParameterSpec.of(name, init != null ? init : new InitialValues(name, initial), initial.shape()));
        }
        this.parameters = List.copyOf(specs);

        // Keeps the arena views we hand it as they are (the default ThreadSafeArrayHolder copies any view).
        graph.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), true);
    }

    public static Builder builder(SameDiff graph) {
        return new Builder(graph);
    }

    /** The graph, its variables bound to the replica's arena once training started. */
    public SameDiff graph() {
        return graph;
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
        placeholders.put(features, batch.features());
        placeholders.put(labels, batch.labels());
        capture.begin(gradients, batch.size());
        OutAndGrad result;
        try {
            result = graph.calculateGradientsAndOutputs(placeholders, List.of(loss), names);
            for (String name : names) {
                INDArray g = result.getGradients().get(name);
                if (!capture.taken(name) && g != null) {
                    capture.take(name, g);
                }
            }
        } finally {
            capture.end();
        }
        return scalarLoss(result.getOutputs().get(loss)) * batch.size();
    }

    @Override
    public Evaluation evaluate(Parameters p) {
        if (heldOut == null) {
            return Evaluation.none();
        }
        bind(p);
        DataType type = p.get(names.get(0)).dataType();
        long n = heldOut.size();
        double lossSum = 0;
        long correct = 0;
        for (long from = 0; from < n; from += evaluationBatch) {
            long[] rows = LongStream.range(from, Math.min(n, from + evaluationBatch)).toArray();
            Batch batch = Batch.of(heldOut, rows, type);
            placeholders.put(features, batch.features());
            placeholders.put(labels, batch.labels());
            List<String> outputs = metric instanceof HeldOutMetric.Accuracy a ? List.of(loss, a.predictions()) : List.of(loss);
            Map<String, INDArray> out = graph.output(placeholders, outputs);
            lossSum += scalarLoss(out.get(loss)) * rows.length;
            if (metric instanceof HeldOutMetric.Accuracy a) {
                INDArray predicted = out.get(a.predictions()).argMax(-1);
                INDArray actual = batch.labels().argMax(-1);
                correct += predicted.eq(actual).castTo(DataType.INT64).sumNumber().longValue();
            }
        }
        double meanLoss = lossSum / n;
        if (metric instanceof HeldOutMetric.Accuracy a) {
            return Evaluation.classification(n, meanLoss, (double) correct / n, a.classes());
        }
        if (metric instanceof HeldOutMetric.Perplexity lm) {
            return Evaluation.languageModel(n, meanLoss, lm.vocabulary());
        }
        return new Evaluation(n, meanLoss, Map.of());
    }

    /**
     * Points every trainable variable at its view in the replica's state arena, once, then builds the gradient
     * function: SameDiff's backward graph is a second instance that takes the variables' arrays as they are when it
     * is created, so they must be the arena's by then.
     */
    private void bind(Parameters p) {
        if (bound == p) {
            return;
        }
        if (bound != null) {
            throw new IllegalStateException("a SameDiffModel serves one replica: build another for another replica");
        }
        for (String name : names) {
            INDArray view = p.get(name);
            SDVariable v = graph.getVariable(name);
            if (v.dataType() != view.dataType()) {
                throw new IllegalArgumentException("variable '" + name + "' is " + v.dataType() + " but the replica keeps "
                        + view.dataType() + " parameters: build the graph with ModelContext.dataType()");
            }
            graph.setArrayForVariable(name, view);
        }
        graph.createGradFunction();
        Map<String, String> parameterByGradient = new LinkedHashMap<>();
        for (String name : names) {
            SDVariable gradient = graph.grad(name);
            if (gradient == null) {
                LOG.warn("variable '{}' does not affect the loss '{}': its gradient is always zero", name, loss);
            } else {
                parameterByGradient.put(gradient.name(), name);
            }
        }
        capture = new GradientCapture(parameterByGradient, names);
        graph.addListeners(capture);
        bound = p;
    }

    private double scalarLoss(INDArray value) {
        if (value == null || value.length() != 1) {
            throw new IllegalStateException("loss '" + loss + "' must be a scalar (the mean over the batch), but has shape "
                    + (value == null ? "none" : java.util.Arrays.toString(value.shape())));
        }
        return value.getDouble(0);
    }

    private void requireVariable(String name, String what, boolean placeholder) {
        Objects.requireNonNull(name, what + " must be named");
        if (!graph.hasVariable(name)) {
            throw new IllegalArgumentException(what + " '" + name + "' is not a variable of the graph");
        }
        if (placeholder && !graph.getVariable(name).isPlaceHolder()) {
            throw new IllegalArgumentException(what + " '" + name + "' must be a placeholder (sd.placeHolder(...)): ringtrain"
                    + " feeds it each batch");
        }
    }

    /** Names the graph's placeholders and loss, and the data. */
    public static final class Builder {
        private final SameDiff graph;
        private String features;
        private String labels;
        private String loss;
        private Dataset trainingData;
        private Dataset heldOut;
        private HeldOutMetric metric = new HeldOutMetric.LossOnly();
        private int evaluationBatch = 256;
        private final Map<String, Initializer> initializers = new HashMap<>();

        private Builder(SameDiff graph) {
            this.graph = Objects.requireNonNull(graph, "graph");
        }

        /** The placeholder each batch's features go into ({@code [n, featureShape...]}). */
        public Builder features(String placeholder) {
            this.features = placeholder;
            return this;
        }

        /** The placeholder each batch's labels go into ({@code [n, labelShape...]}). */
        public Builder labels(String placeholder) {
            this.labels = placeholder;
            return this;
        }

        /** The scalar loss: the mean over the batch of the per-sample losses. */
        public Builder loss(String variable) {
            this.loss = variable;
            return this;
        }

        public Builder trainingData(Dataset data) {
            this.trainingData = data;
            return this;
        }

        /** Held-out data for the run's summary, evaluated {@code 256} samples at a time. */
        public Builder heldOut(Dataset data, HeldOutMetric metric) {
            this.heldOut = data;
            this.metric = Objects.requireNonNull(metric, "metric");
            return this;
        }

        public Builder evaluationBatch(int samples) {
            if (samples < 1) {
                throw new IllegalArgumentException("evaluation batch must be >= 1, was " + samples);
            }
            this.evaluationBatch = samples;
            return this;
        }

        /** Draws this variable's initial values from {@code (seed, name)} instead of taking the graph's. */
        public Builder initializer(String variable, Initializer initializer) {
            initializers.put(variable, Objects.requireNonNull(initializer, "initializer"));
            return this;
        }

        public SameDiffModel build() {
            Objects.requireNonNull(trainingData, "trainingData");
            return new SameDiffModel(this);
        }
    }
}
