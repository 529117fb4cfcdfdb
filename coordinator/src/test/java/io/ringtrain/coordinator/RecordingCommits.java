package io.ringtrain.coordinator;

import io.ringtrain.worker.RunSettings;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The real checkpoint-library commits, remembering what the coordinator committed, in order. */
public final class RecordingCommits implements CheckpointCommits {

    public final List<CheckpointShards> commits = new CopyOnWriteArrayList<>();
    private final CheckpointStoreCommits store;

    public RecordingCommits(RunSettings run) {
        this.store = new CheckpointStoreCommits(run);
    }

    @Override
    public StoredRun lookUp(RunSettings run) {
        return store.lookUp(run);
    }

    @Override
    public void commit(RunSettings run, CheckpointShards shards) throws Exception {
        store.commit(run, shards);
        commits.add(shards);
    }

    @Override
    public void recordCompletion(RunSettings run, long steps) {
        store.recordCompletion(run, steps);
    }
}
