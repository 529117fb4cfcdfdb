package io.ringtrain.worker;

import io.ringtrain.protocol.control.ProgressReport;
import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.RingReady;
import io.ringtrain.protocol.control.ShardSaved;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.WorkerFailed;
import io.ringtrain.protocol.control.WorkerFinished;

/** Builds the worker's messages to the coordinator, each wrapped in its envelope. */
final class ToCoordinatorMessages {

    private ToCoordinatorMessages() {
    }

    static ToCoordinator register(String workerRef, WorkerContext worker, String dataPlaneEndpoint) {
        RegisterWorker.Builder register = RegisterWorker.newBuilder()
                .setWorker(workerRef).setWorkerId(worker.name()).setDataPlaneEndpoint(dataPlaneEndpoint);
        if (worker.ordinal() != WorkerContext.NO_ORDINAL) {
            register.setOrdinal(worker.ordinal());
        }
        return ToCoordinator.newBuilder().setRegister(register).build();
    }

    static ToCoordinator ringReady(RingGeneration ring) {
        return ToCoordinator.newBuilder().setRingReady(RingReady.newBuilder()
                .setGeneration(ring.generation()).setRank(ring.rank())).build();
    }

    static ToCoordinator progress(long generation, int rank, long stepsDone, double loss, double samplesPerSecond) {
        return ToCoordinator.newBuilder().setProgress(ProgressReport.newBuilder()
                .setGeneration(generation).setRank(rank).setStepsDone(stepsDone).setLoss(loss)
                .setSamplesPerSecond(samplesPerSecond)).build();
    }

    static ToCoordinator shardSaved(long generation, SavedShard shard) {
        return ToCoordinator.newBuilder().setShardSaved(ShardSaved.newBuilder()
                .setGeneration(generation).setReport(shard.report()).setDraft(shard.draft())).build();
    }

    static ToCoordinator finished(long generation, int rank, long stepsDone, double samplesPerSecond, SessionSummary summary) {
        WorkerFinished.Builder finished = WorkerFinished.newBuilder()
                .setGeneration(generation).setRank(rank).setStepsDone(stepsDone).setFinalLoss(summary.finalLoss())
                .setSamplesPerSecond(samplesPerSecond).putAllMetrics(summary.metrics());
        summary.heldOutAccuracy().ifPresent(finished::setHeldOutAccuracy);
        return ToCoordinator.newBuilder().setFinished(finished).build();
    }

    static ToCoordinator failed(long generation, int rank, String workerId, String reason) {
        return ToCoordinator.newBuilder().setFailed(WorkerFailed.newBuilder()
                .setGeneration(generation).setRank(rank).setWorkerId(workerId).setReason(reason)).build();
    }
}
