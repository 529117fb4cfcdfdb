package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.RingAssignment;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;

/** One generation of the ring: the workers, ordered by rank. */
record Ring(long generation, List<WorkerRegistration> byRank) {

    Ring {
        byRank = List.copyOf(byRank);
    }

    int worldSize() {
        return byRank.size();
    }

    List<String> workerIds() {
        return byRank.stream().map(WorkerRegistration::workerId).toList();
    }

    List<String> endpoints() {
        return byRank.stream().map(WorkerRegistration::endpoint).toList();
    }

    RingAssignment assignmentFor(int rank) {
        return RingAssignment.newBuilder()
                .setGeneration(generation).setRank(rank).setWorldSize(worldSize())
                .addAllEndpoints(endpoints()).addAllWorkerIds(workerIds())
                .build();
    }

    Optional<WorkerRegistration> memberAt(Address address) {
        return byRank.stream().filter(r -> r.address().equals(address)).findFirst();
    }

    Optional<WorkerRegistration> member(ActorRef<?> worker) {
        return byRank.stream().filter(r -> r.worker().equals(worker)).findFirst();
    }

    /** "worker-2 (rank 2, pekko://ringtrain@127.0.0.1:40123)". */
    String describe(int rank) {
        WorkerRegistration r = byRank.get(rank);
        return r.workerId() + " (rank " + rank + ", " + r.address() + ")";
    }
}
