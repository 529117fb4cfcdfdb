package io.ringtrain.coordinator;

import io.ringtrain.allreduce.RunToken;
import io.ringtrain.protocol.control.RingAssignment;
import io.ringtrain.protocol.control.StateSource;
import io.ringtrain.worker.StateDigest;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One generation of the ring: its workers by rank, and the state it starts from.
 *
 * @param startStep  steps done when the generation starts
 * @param source     where the ranks take that state from
 * @param sourceRank for {@link StateSource#STATE_PEER}: the rank that sends it
 * @param expected   the state every rank must hold once joined, when it is known in advance (kept or sent by a peer)
 * @param token      the generation's secret, sent to its members only (its toString hides it)
 */
record Ring(long generation, List<WorkerRegistration> byRank, long startStep, StateSource source, int sourceRank,
            Optional<StateDigest> expected, RunToken token) {

    Ring {
        byRank = List.copyOf(byRank);
        Objects.requireNonNull(token, "token");
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
                .setStartStep(startStep).setStateSource(source).setSourceRank(sourceRank)
                .setRunToken(token.value())
                .build();
    }

    OptionalInt rankOf(ActorRef<?> worker) {
        for (int rank = 0; rank < byRank.size(); rank++) {
            if (byRank.get(rank).worker().equals(worker)) {
                return OptionalInt.of(rank);
            }
        }
        return OptionalInt.empty();
    }

    boolean contains(ActorRef<?> worker) {
        return rankOf(worker).isPresent();
    }

    /** The worker at {@code rank}, if the rank exists in this generation. */
    Optional<WorkerRegistration> at(int rank) {
        return rank >= 0 && rank < byRank.size() ? Optional.of(byRank.get(rank)) : Optional.empty();
    }

    /** "worker-2 (rank 2, pekko://ringtrain@127.0.0.1:40123)". */
    String describe(int rank) {
        WorkerRegistration r = byRank.get(rank);
        return r.workerId() + " (rank " + rank + ", " + r.address() + ")";
    }
}
