package io.ringtrain.worker.train;

/**
 * Makes a user's model trainable by name ({@code ringtrain local --model <name>}) with no Pekko or Aeron code:
 * implement this, list the provider in {@code META-INF/services/io.ringtrain.worker.train.ModelProvider}, and put the
 * jar on ringtrain's class path (worker processes inherit it).
 */
public interface ModelProvider {

    /** The name {@code --model} takes; letters, digits, '-' and '_'. */
    String name();

    /**
     * A fresh replica's model. Every worker calls this with an equal context and must get the same model and data.
     * The optimizer is not the model's business: it comes from the run ({@code --optimizer}, {@code --lr},
     * {@code -O optim.*}). Options the model does not read are reported as mistakes, so read every option the model
     * has, with its default, even when the default is kept. ND4J's random generator is seeded with the run's seed
     * before this is called, so SameDiff weight-init schemes draw the same values on every worker.
     */
    Model create(ModelContext context);
}
