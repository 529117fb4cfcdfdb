package io.ringtrain.checkpoint;

/**
 * A commit refused because the run's newest checkpoint comes from a newer ring generation: another coordinator has
 * taken the run over since the ranks of this one saved their shards. The committing coordinator is no longer the
 * run's; it should stop coordinating rather than retry.
 */
public final class CommitFencedException extends CheckpointException {
    private static final long serialVersionUID = 1L;

    private final long newerGeneration;

    public CommitFencedException(String message, long newerGeneration) {
        super(message);
        this.newerGeneration = newerGeneration;
    }

    /** The ring generation of the checkpoint that fenced the commit. */
    public long newerGeneration() {
        return newerGeneration;
    }
}
