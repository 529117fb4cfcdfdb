package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.ToWorker;
import java.util.OptionalInt;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;

/** A worker that registered with the coordinator; {@code joinIndex} orders workers without an ordinal. */
record WorkerRegistration(ActorRef<ToWorker> worker, String workerId, OptionalInt ordinal, String endpoint, int joinIndex) {

    Address address() {
        return worker.path().address();
    }

    /** How errors and logs name the worker. */
    String describe() {
        return workerId + " (" + address() + ")";
    }
}
