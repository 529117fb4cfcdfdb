package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.AbortRing;
import io.ringtrain.protocol.control.EndRun;
import io.ringtrain.protocol.control.PauseRing;
import io.ringtrain.protocol.control.RegistrationRejected;
import io.ringtrain.protocol.control.Released;
import io.ringtrain.protocol.control.SaveCheckpoint;
import io.ringtrain.protocol.control.StartTraining;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.Welcome;
import io.ringtrain.worker.RunSettings;

/** Builds the coordinator's messages to workers, each wrapped in its envelope. */
final class ToWorkerMessages {

    private ToWorkerMessages() {
    }

    static ToWorker welcome(String coordinatorRef, RunSettings run) {
        return ToWorker.newBuilder().setWelcome(Welcome.newBuilder().setCoordinator(coordinatorRef).setSpec(run.toProto())).build();
    }

    static ToWorker ring(Ring ring, int rank) {
        return ToWorker.newBuilder().setRing(ring.assignmentFor(rank)).build();
    }

    static ToWorker start(long generation) {
        return ToWorker.newBuilder().setStart(StartTraining.newBuilder().setGeneration(generation)).build();
    }

    static ToWorker pause(long generation, String reason) {
        return ToWorker.newBuilder().setPause(PauseRing.newBuilder().setGeneration(generation).setReason(reason)).build();
    }

    static ToWorker abort(long generation, String reason) {
        return ToWorker.newBuilder().setAbort(AbortRing.newBuilder().setGeneration(generation).setReason(reason)).build();
    }

    static ToWorker save(long generation, long step) {
        return ToWorker.newBuilder().setSave(SaveCheckpoint.newBuilder().setGeneration(generation).setStep(step)).build();
    }

    static ToWorker rejected(String reason) {
        return ToWorker.newBuilder().setRejected(RegistrationRejected.newBuilder().setReason(reason)).build();
    }

    static ToWorker released(String reason) {
        return ToWorker.newBuilder().setReleased(Released.newBuilder().setReason(reason)).build();
    }

    static ToWorker end(boolean success, String reason) {
        return ToWorker.newBuilder().setEnd(EndRun.newBuilder().setSuccess(success).setReason(reason)).build();
    }
}
