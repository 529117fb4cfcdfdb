package io.ringtrain.worker;

import io.ringtrain.protocol.control.AbortAcknowledged;
import io.ringtrain.protocol.control.FailureKind;
import io.ringtrain.protocol.control.LeaveRequested;
import io.ringtrain.protocol.control.ProgressReport;
import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.RingReady;
import io.ringtrain.protocol.control.RingStopped;
import io.ringtrain.protocol.control.ShardSaved;
import io.ringtrain.protocol.control.StopCause;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.WorkerFailed;
import io.ringtrain.protocol.control.WorkerFinished;
import io.ringtrain.protocol.control.WorkerSituation;

/** Builds the worker's messages to the coordinator, each wrapped in its envelope. */
final class ToCoordinatorMessages {

    private ToCoordinatorMessages() {
    }

    static ToCoordinator register(String workerRef, WorkerContext worker, String dataPlaneEndpoint, long highestGeneration,
                                  WorkerSituation situation) {
        RegisterWorker.Builder register = RegisterWorker.newBuilder()
                .setWorker(workerRef).setWorkerId(worker.name()).setDataPlaneEndpoint(dataPlaneEndpoint)
                .setHighestGeneration(highestGeneration).setSituation(situation);
        if (worker.ordinal() != WorkerContext.NO_ORDINAL) {
            register.setOrdinal(worker.ordinal());
        }
        return ToCoordinator.newBuilder().setRegister(register).build();
    }

    static ToCoordinator ringReady(RingGeneration ring, StateDigest state) {
        return ToCoordinator.newBuilder().setRingReady(RingReady.newBuilder()
                .setGeneration(ring.generation()).setRank(ring.rank())
                .setStepsDone(state.stepsDone()).setStateCrc32C(state.crc32c())).build();
    }

    static ToCoordinator stopped(RingGeneration ring, StateDigest state, StopCause cause, String reason, boolean leaving, int lostPeer) {
        return ToCoordinator.newBuilder().setStopped(RingStopped.newBuilder()
                .setGeneration(ring.generation()).setRank(ring.rank())
                .setStepsDone(state.stepsDone()).setStateCrc32C(state.crc32c())
                .setCause(cause).setReason(reason).setLeaving(leaving).setLostPeer(lostPeer)).build();
    }

    static ToCoordinator abortAcknowledged(RingGeneration ring) {
        return ToCoordinator.newBuilder().setAbortAcknowledged(AbortAcknowledged.newBuilder()
                .setGeneration(ring.generation()).setRank(ring.rank())).build();
    }

    static ToCoordinator leave(WorkerContext worker, String reason) {
        return ToCoordinator.newBuilder().setLeave(LeaveRequested.newBuilder()
                .setWorkerId(worker.name()).setReason(reason)).build();
    }

    static ToCoordinator progress(RingGeneration ring, long stepsDone, double loss, double samplesPerSecond) {
        return ToCoordinator.newBuilder().setProgress(ProgressReport.newBuilder()
                .setGeneration(ring.generation()).setRank(ring.rank()).setStepsDone(stepsDone).setLoss(loss)
                .setSamplesPerSecond(samplesPerSecond)).build();
    }

    static ToCoordinator shardSaved(long generation, SavedShard shard) {
        return ToCoordinator.newBuilder().setShardSaved(ShardSaved.newBuilder()
                .setGeneration(generation).setReport(shard.report()).setDraft(shard.draft())).build();
    }

    static ToCoordinator finished(RingGeneration ring, long stepsDone, double samplesPerSecond, SessionSummary summary) {
        WorkerFinished.Builder finished = WorkerFinished.newBuilder()
                .setGeneration(ring.generation()).setRank(ring.rank()).setStepsDone(stepsDone).setFinalLoss(summary.finalLoss())
                .setSamplesPerSecond(samplesPerSecond).putAllMetrics(summary.metrics());
        summary.heldOutAccuracy().ifPresent(finished::setHeldOutAccuracy);
        return ToCoordinator.newBuilder().setFinished(finished).build();
    }

    static ToCoordinator failed(long generation, int rank, String workerId, String reason, FailureKind kind) {
        return ToCoordinator.newBuilder().setFailed(WorkerFailed.newBuilder()
                .setGeneration(generation).setRank(rank).setWorkerId(workerId).setReason(reason).setKind(kind)).build();
    }
}
