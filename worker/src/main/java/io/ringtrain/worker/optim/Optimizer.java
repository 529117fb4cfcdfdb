package io.ringtrain.worker.optim;

import java.util.List;
import java.util.Locale;

/**
 * Updates parameters in place from the averaged gradient. All of an optimizer's state lives in
 * its named slots (each a flat array shaped like the flat parameter vector) plus the step count,
 * which the caller keeps in the model's state arena: so checkpoints carry the optimizer state,
 * and an optimizer object itself holds only its hyper-parameters and can be shared.
 */
public interface Optimizer {

    /** Short name for logs and run summaries, e.g. {@code adam}. */
    String name();

    /** Per-parameter state slots, e.g. {@code [m, v]} for Adam; may be empty. */
    List<String> slotNames();

    /**
     * Applies one update. {@code buffers.gradients()} holds the gradient already averaged over
     * the global batch; {@code step} counts updates from 1 (Adam's bias correction uses it).
     * Must be deterministic: the same inputs give bit-identical outputs, in every worker.
     */
    void update(OptimizerBuffers buffers, long step);

    /** Names accepted by {@link #byName(String)}. */
    static List<String> names() {
        return List.of("adam", "sgd");
    }

    /**
     * An optimizer with ringtrain's default hyper-parameters for the built-in models:
     * {@code adam} (learning rate 3e-3) or {@code sgd} (learning rate 0.05, momentum 0.9).
     */
    static Optimizer byName(String name) {
        switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
            case "adam":
                return Adam.withLearningRate(3e-3);
            case "sgd":
                return new Sgd(0.05, 0.9, 0.0);
            default:
                throw new IllegalArgumentException("unknown optimizer '" + name + "'; known optimizers: " + names());
        }
    }
}
