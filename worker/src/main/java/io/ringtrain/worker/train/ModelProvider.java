package io.ringtrain.worker.train;

import io.ringtrain.worker.optim.Optimizer;

/**
 * Makes a user's model trainable by name ({@code ringtrain local --model <name>}) with no Pekko or Aeron code:
 * implement this and {@link TrainingLoop}, list the provider in
 * {@code META-INF/services/io.ringtrain.worker.train.ModelProvider}, and put the jar on ringtrain's class path
 * (worker processes inherit it).
 */
public interface ModelProvider {

    /** The name {@code --model} takes; letters, digits, '-' and '_'. */
    String name();

    /**
     * A fresh replica's training loop. Every worker calls this with the same arguments and must get the same
     * model and data.
     *
     * @param optimizer the run's choice ({@code --optimizer}, {@code --lr})
     */
    TrainingLoop create(long seed, Optimizer optimizer);
}
