package io.ringtrain.coordinator.cli;

import io.ringtrain.coordinator.CheckpointCommits;
import io.ringtrain.coordinator.CheckpointShards;
import io.ringtrain.worker.RunSettings;
import java.util.OptionalLong;

/**
 * Stands in for the adapter over the checkpoint library (checkpoint/, being built) until it is
 * merged: replace it in {@link RingtrainCli#main}. Fails loudly instead of pretending to commit.
 */
final class CheckpointCommitsNotWired implements CheckpointCommits {

    private static final String MESSAGE = "checkpoint commits are not wired to the checkpoint library in this build;"
            + " run with --checkpoint-every 0 and without --resume";

    CheckpointCommitsNotWired(RunSettings run) {
    }

    @Override
    public OptionalLong latestCommittedStep(RunSettings run) {
        throw new UnsupportedOperationException(MESSAGE);
    }

    @Override
    public void commit(RunSettings run, CheckpointShards shards) {
        throw new UnsupportedOperationException(MESSAGE);
    }
}
