package io.ringtrain.worker.optim;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam (Kingma and Ba) with bias correction:
 * {@code m = b1 m + (1-b1) g}, {@code v = b2 v + (1-b2) g^2},
 * {@code p = p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}, with {@code t} the step count.
 */
public record Adam(double learningRate, double beta1, double beta2, double epsilon) implements Optimizer {

    public Adam {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("Adam learning rate must be > 0 and finite, was " + learningRate);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), were " + beta1 + " and " + beta2);
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("Adam epsilon must be > 0, was " + epsilon);
        }
    }

    /** The usual defaults (beta1 0.9, beta2 0.999, epsilon 1e-8) with the given learning rate. */
    public static Adam withLearningRate(double learningRate) {
        return new Adam(learningRate, 0.9, 0.999, 1e-8);
    }

    @Override
    public String name() {
        return "adam";
    }

    @Override
    public List<String> slotNames() {
        return List.of("m", "v");
    }

    @Override
    public void update(OptimizerBuffers b, long step) {
        if (step < 1) {
            throw new IllegalArgumentException("Adam steps count from 1, was " + step);
        }
        final INDArray g = b.gradients();
        final INDArray m = b.slot(0);
        final INDArray v = b.slot(1);
        final INDArray scratch = b.scratch();

        m.muli(beta1).addi(scratch.assign(g).muli(1 - beta1));
        v.muli(beta2).addi(g.muli(g).muli(1 - beta2)); // g is not needed after this: square it in place

        final double mCorrection = 1 - StrictMath.pow(beta1, step);
        final double vCorrection = 1 - StrictMath.pow(beta2, step);
        // scratch = sqrt(v / vCorrection) + eps;  scratch = m / scratch;  p -= lr / mCorrection * scratch
        Transforms.sqrt(scratch.assign(v).divi(vCorrection), false).addi(epsilon);
        scratch.rdivi(m);
        b.parameters().subi(scratch.muli(learningRate / mCorrection));
    }
}
