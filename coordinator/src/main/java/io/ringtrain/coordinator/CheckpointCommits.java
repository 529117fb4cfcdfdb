package io.ringtrain.coordinator;

import io.ringtrain.worker.RunSettings;

/**
 * The coordinator's view of the checkpoint store: find what it holds of the run, commit a checkpoint once every rank's
 * shard is durable, and record that the run finished. Every call does storage I/O and may block; the coordinator
 * calls them on Pekko's blocking-I/O dispatcher, one at a time, never on the actor's thread.
 */
public interface CheckpointCommits {

    /** What the location holds of the run: its newest valid checkpoint, newest ring generation and completion. */
    StoredRun lookUp(RunSettings run) throws Exception;

    /**
     * Makes the checkpoint at {@code shards.step()} exist: writes its manifest, atomically, after checking the shard
     * reports. Throws if the checkpoint cannot be committed; {@link io.ringtrain.checkpoint.CommitFencedException}
     * when a newer ring generation has committed since (another coordinator has the run).
     */
    void commit(RunSettings run, CheckpointShards shards) throws Exception;

    /** Records that the run finished after {@code steps} steps, so that it is not trained again by a coordinator that restarts. */
    void recordCompletion(RunSettings run, long steps) throws Exception;
}
