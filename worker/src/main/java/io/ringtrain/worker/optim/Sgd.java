package io.ringtrain.worker.optim;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Stochastic gradient descent with heavy-ball momentum and optional L2 weight decay, in the
 * PyTorch convention: {@code g' = g + weightDecay * p}, {@code v = momentum * v + g'},
 * {@code p = p - learningRate * v}. With momentum 0 there is no slot and {@code p -= lr * g'}.
 */
public record Sgd(double learningRate, double momentum, double weightDecay) implements Optimizer {

    public Sgd {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("SGD learning rate must be > 0 and finite, was " + learningRate);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("SGD momentum must be in [0, 1), was " + momentum);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("SGD weight decay must be >= 0 and finite, was " + weightDecay);
        }
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public List<String> slotNames() {
        return momentum > 0 ? List.of("velocity") : List.of();
    }

    @Override
    public void update(OptimizerBuffers b, long step) {
        final INDArray g = b.gradients();
        if (weightDecay > 0) {
            g.addi(b.scratch().assign(b.parameters()).muli(weightDecay));
        }
        final INDArray direction;
        if (momentum > 0) {
            direction = b.slot(0).muli(momentum).addi(g);
        } else {
            direction = g;
        }
        b.parameters().subi(b.scratch().assign(direction).muli(learningRate));
    }
}
