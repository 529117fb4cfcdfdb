package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.ToWorker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The workers registered for the next ring, and how they get their ranks: workers with an ordinal
 * (a StatefulSet pod's, or an explicit one) come first, ordered by ordinal, so a restarted pod
 * keeps its rank; workers without one follow in the order they registered. Ranks are dense
 * (0..n-1) even when ordinals have gaps.
 */
final class Rendezvous {

    private static final Comparator<WorkerRegistration> RANK_ORDER = Comparator
            .comparingInt((WorkerRegistration r) -> r.ordinal().isPresent() ? 0 : 1)
            .thenComparingInt(r -> r.ordinal().orElse(0))
            .thenComparingInt(WorkerRegistration::joinIndex);

    private final int maxWorkers;
    private final List<WorkerRegistration> registered = new ArrayList<>();
    private int joins;

    Rendezvous(int maxWorkers) {
        this.maxWorkers = maxWorkers;
    }

    /** Registers the worker, or says why it cannot take part. Registering the same worker twice is harmless. */
    Optional<String> add(ActorRef<ToWorker> worker, RegisterWorker message) {
        OptionalInt ordinal = message.hasOrdinal() ? OptionalInt.of(message.getOrdinal()) : OptionalInt.empty();
        for (WorkerRegistration r : registered) {
            if (r.worker().equals(worker)) {
                return Optional.empty();
            }
            if (r.workerId().equals(message.getWorkerId())) {
                return Optional.of("the worker name " + message.getWorkerId() + " is already registered by " + r.describe()
                        + "; give every worker a distinct name");
            }
            if (ordinal.isPresent() && r.ordinal().equals(ordinal)) {
                return Optional.of("ordinal " + ordinal.getAsInt() + " is already taken by " + r.describe()
                        + "; give every worker a distinct ordinal");
            }
            if (r.endpoint().equals(message.getDataPlaneEndpoint())) {
                return Optional.of("data-plane endpoint " + message.getDataPlaneEndpoint() + " is already used by " + r.describe()
                        + "; give every worker its own data-plane port");
            }
        }
        if (registered.size() >= maxWorkers) {
            return Optional.of("the ring is full: max-workers is " + maxWorkers);
        }
        registered.add(new WorkerRegistration(worker, message.getWorkerId(), ordinal, message.getDataPlaneEndpoint(), joins++));
        return Optional.empty();
    }

    /** Forgets a worker that left before the ring formed; returns it if it was registered. */
    Optional<WorkerRegistration> remove(Address address) {
        Optional<WorkerRegistration> gone = registered.stream().filter(r -> r.address().equals(address)).findFirst();
        gone.ifPresent(registered::remove);
        return gone;
    }

    Optional<WorkerRegistration> remove(ActorRef<?> worker) {
        Optional<WorkerRegistration> gone = registered.stream().filter(r -> r.worker().equals(worker)).findFirst();
        gone.ifPresent(registered::remove);
        return gone;
    }

    int size() {
        return registered.size();
    }

    boolean isFull() {
        return registered.size() >= maxWorkers;
    }

    List<String> workerIds() {
        return registered.stream().map(WorkerRegistration::workerId).toList();
    }

    Ring formRing(long generation) {
        List<WorkerRegistration> byRank = new ArrayList<>(registered);
        byRank.sort(RANK_ORDER);
        return new Ring(generation, byRank);
    }
}
