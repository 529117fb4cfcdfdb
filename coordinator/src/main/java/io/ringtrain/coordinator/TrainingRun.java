package io.ringtrain.coordinator;

import io.ringtrain.worker.RunSettings;
import java.time.Duration;
import java.util.OptionalLong;

/** What the coordinator tracks while one ring generation trains; mutated only by the coordinator actor. */
final class TrainingRun {

    final Ring ring;
    final long startStep;
    final long startNanos;
    final ProgressBoard progress;
    final ShardTally shards;
    final FinishedReports finished;
    int commitsInFlight;
    int checkpointsCommitted;
    OptionalLong lastCheckpointStep = OptionalLong.empty();

    TrainingRun(Ring ring, long startStep, RunSettings run, long startNanos) {
        this.ring = ring;
        this.startStep = startStep;
        this.startNanos = startNanos;
        this.progress = new ProgressBoard(ring.worldSize(), startStep, run.totalSteps());
        this.shards = new ShardTally(ring.worldSize());
        this.finished = new FinishedReports(ring.worldSize());
    }

    void committed(long step) {
        commitsInFlight--;
        checkpointsCommitted++;
        lastCheckpointStep = OptionalLong.of(step);
    }

    boolean isDone() {
        return finished.isComplete() && commitsInFlight == 0;
    }

    RunResult result(RunSettings run, long nowNanos, long coordinatorStartNanos, long firstStepNanos) {
        return finished.result(run, startStep, Duration.ofNanos(nowNanos - startNanos), checkpointsCommitted, lastCheckpointStep,
                Duration.ofNanos(Math.max(0, firstStepNanos - coordinatorStartNanos)), Duration.ofNanos(nowNanos - coordinatorStartNanos));
    }
}
