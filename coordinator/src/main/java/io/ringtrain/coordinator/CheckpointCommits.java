package io.ringtrain.coordinator;

import io.ringtrain.worker.RunSettings;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The coordinator's view of the checkpoint store: find where to resume, commit a checkpoint
 * once every rank's shard is durable, and record that the run finished. Both calls do storage I/O and may block; the coordinator
 * calls them on Pekko's blocking-I/O dispatcher, one at a time, never on the actor's thread.
 */
public interface CheckpointCommits {

    /** Steps done at the newest committed (manifest written, valid) checkpoint of the run, or empty if none. */
    OptionalLong latestCommittedStep(RunSettings run) throws Exception;

    /** The settings the checkpoint at {@code step} was made with (its manifest's run_config, see RunSettings.resultConfig). */
    Map<String, String> runConfigAt(RunSettings run, long step) throws Exception;

    /**
     * Makes the checkpoint at {@code shards.step()} exist: writes its manifest, atomically, after
     * checking the shard reports. Throws if the checkpoint cannot be committed.
     */
    void commit(RunSettings run, CheckpointShards shards) throws Exception;

    /** Steps the run had done when it finished, from its completion record; empty if it never finished. */
    OptionalLong completedSteps(RunSettings run) throws Exception;

    /** Records that the run finished after {@code steps} steps, so that it is not trained again by a coordinator that restarts. */
    void recordCompletion(RunSettings run, long steps) throws Exception;
}
