package io.ringtrain.coordinator;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.SavedShard;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * {@link CheckpointCommits} over the checkpoint library: the run's checkpoint root (a directory or
 * an S3 prefix) is opened on first use, on the coordinator's blocking-I/O thread.
 */
public final class CheckpointStoreCommits implements CheckpointCommits, AutoCloseable {

    private final RunSettings run;
    private final int keep;
    private Checkpoints checkpoints;

    public CheckpointStoreCommits(RunSettings run) {
        this(run, Checkpoints.Context.DEFAULT_KEEP);
    }

    /** @param keep the newest this many valid checkpoints are kept (ringtrain.run.checkpoint-keep) */
    public CheckpointStoreCommits(RunSettings run, int keep) {
        this.run = run;
        this.keep = keep;
    }

    private synchronized Checkpoints checkpoints() {
        if (checkpoints == null) {
            checkpoints = Checkpoints.open(io.ringtrain.checkpoint.CheckpointStore.open(run.checkpointStoreUri()),
                    new Checkpoints.Context().keep(keep));
        }
        return checkpoints;
    }

    /** The newest checkpoint whose every shard checks out (a resumed run never starts from a corrupt one), and the rest. */
    @Override
    public StoredRun lookUp(RunSettings run) {
        Optional<CheckpointManifest> newest = checkpoints().latestVerified(run.runId());
        return new StoredRun(newest.map(m -> OptionalLong.of(m.getStep())).orElse(OptionalLong.empty()),
                newest.map(CheckpointManifest::getRunConfigMap).orElse(Map.of()),
                checkpoints().newestRingGeneration(run.runId()).orElse(0),
                checkpoints().completion(run.runId()).map(c -> OptionalLong.of(c.getSteps())).orElse(OptionalLong.empty()));
    }

    /** Commits with rank 0's draft, after checking that every rank saved the same tensors. */
    @Override
    public void commit(RunSettings run, CheckpointShards shards) {
        CheckpointManifest draft = shards.byRank().get(0).draft();
        for (SavedShard shard : shards.byRank()) {
            if (!shard.draft().getTensorsList().equals(draft.getTensorsList())) {
                throw new IllegalStateException("rank " + shard.rank() + " saved step " + shards.step()
                        + " with other tensors than rank 0; the ranks do not hold the same model, not committing");
            }
        }
        checkpoints().commit(draft.toBuilder().setRingGeneration(shards.generation()).build(),
                shards.byRank().stream().map(SavedShard::report).toList());
    }

    @Override
    public void recordCompletion(RunSettings run, long steps) {
        checkpoints().recordCompletion(run.runId(), steps);
    }

    @Override
    public synchronized void close() {
        if (checkpoints != null) {
            checkpoints.close();
        }
    }
}
