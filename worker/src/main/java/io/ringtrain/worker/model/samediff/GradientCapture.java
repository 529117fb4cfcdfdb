package io.ringtrain.worker.model.samediff;

import io.ringtrain.worker.train.Gradients;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Watches SameDiff's backward pass and takes each parameter's gradient the moment the op that produces it has run:
 * scales it from the mean SameDiff computes to the sum ringtrain all-reduces, writes it into the gradient arena, and
 * reports it ready, so its fusion bucket can be all-reduced while the rest of backward runs.
 *
 * <p>The gradient of a parameter is the variable {@code sd.grad(name)}: not {@code name-grad}, which is only one
 * contribution when a parameter is used more than once (SameDiff then adds them up into another variable).
 */
final class GradientCapture extends BaseListener {
    /** Gradient variable name to parameter name. */
    private final Map<String, String> parameterByGradient;
    private Gradients target;
    private double scale;
    private final boolean[] taken;
    private final Map<String, Integer> indexByParameter;

    GradientCapture(Map<String, String> parameterByGradient, List<String> parameters) {
        this.parameterByGradient = Map.copyOf(parameterByGradient);
        this.taken = new boolean[parameters.size()];
        this.indexByParameter = new java.util.HashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            indexByParameter.put(parameters.get(i), i);
        }
    }

    /** Starts capturing one backward pass: gradients are multiplied by {@code scale} on their way into the arena. */
    void begin(Gradients into, double scale) {
        this.target = into;
        this.scale = scale;
        java.util.Arrays.fill(taken, false);
    }

    void end() {
        target = null;
    }

    boolean taken(String parameter) {
        return taken[indexByParameter.get(parameter)];
    }

    /** Writes a gradient the listener did not see (SameDiff returned it without running an op, e.g. an identity). */
    void take(String parameter, INDArray gradient) {
        write(parameter, gradient);
    }

    @Override
    public boolean isActive(Operation operation) {
        return operation == Operation.TRAINING;
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext opContext, INDArray[] outputs) {
        if (target == null) {
            return;
        }
        List<String> names = op.getOutputsOfOp();
        for (int i = 0; i < outputs.length && i < names.size(); i++) {
            String parameter = parameterByGradient.get(names.get(i));
            if (parameter != null && !taken(parameter)) {
                write(parameter, outputs[i]);
            }
        }
    }

    private void write(String parameter, INDArray gradient) {
        INDArray view = target.get(parameter);
        if (gradient.length() != view.length()) {
            throw new IllegalStateException("SameDiff's gradient for '" + parameter + "' has shape "
                    + java.util.Arrays.toString(gradient.shape()) + ", the parameter " + java.util.Arrays.toString(view.shape()));
        }
        // One pass: the arena view is the result of gradient * scale (SameDiff's own array is left as it is).
        gradient.reshape(view.shape()).mul(scale, view);
        taken[indexByParameter.get(parameter)] = true;
        target.ready(parameter);
    }
}
