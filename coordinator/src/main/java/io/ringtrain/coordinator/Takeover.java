package io.ringtrain.coordinator;

import io.ringtrain.allreduce.RunToken;
import io.ringtrain.protocol.control.RingAssignment;
import io.ringtrain.protocol.control.StateSource;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.WorkerSituation;
import io.ringtrain.protocol.control.WorkerSituation.Phase;
import io.ringtrain.worker.StateDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a coordinator that takes over a running run finds: the newest ring any registered worker was in (rebuilt from
 * the assignment the workers hold, so its generation, ranks and endpoints are exactly theirs), who of it has come
 * back, and where each of them is. The ring can be adopted as it is, with no pause, when every member is back and
 * training (or done); otherwise it is stopped and re-formed from the states the members hold.
 *
 * @param ring    the ring as its members know it; ranks whose worker has not come back hold {@code nobody}
 * @param phases  by rank, for the members that came back
 * @param held    by rank, the state of members that stopped (their ring broke while no coordinator was up)
 */
record Takeover(Ring ring, Map<Integer, Phase> phases, Map<Integer, StateDigest> held) {

    /** The takeover the membership shows, if any registered worker was in a ring. */
    static Optional<Takeover> find(Membership membership, ActorRef<ToWorker> nobody) {
        Optional<RingAssignment> newest = membership.live().stream().flatMap(m -> m.situation().stream())
                .map(WorkerSituation::getRing).max(Comparator.comparingLong(RingAssignment::getGeneration));
        if (newest.isEmpty() || newest.get().getGeneration() < 1) {
            return Optional.empty();
        }
        RingAssignment a = newest.get();
        List<WorkerRegistration> byRank = new ArrayList<>();
        Map<Integer, Phase> phases = new TreeMap<>();
        Map<Integer, StateDigest> held = new TreeMap<>();
        for (int rank = 0; rank < a.getWorkerIdsCount(); rank++) {
            String id = a.getWorkerIds(rank);
            int r = rank;
            Optional<Membership.Member> back = membership.liveNamed(id).filter(m -> m.situation().isPresent()
                    && m.situation().get().getRing().getGeneration() == a.getGeneration());
            if (back.isPresent()) {
                WorkerSituation s = back.get().situation().get();
                byRank.add(back.get().registration());
                phases.put(r, s.getPhase());
                if (s.getPhase() == Phase.PHASE_STANDBY) {
                    held.put(r, new StateDigest(s.getStepsDone(), s.getStateCrc32C()));
                }
            } else {
                byRank.add(new WorkerRegistration(nobody, id, OptionalInt.empty(), a.getEndpoints(rank), -1));
            }
        }
        // The ring goes on as its members know it, so it keeps its token; a worker of an older version sent none (0),
        // and a fresh one only matters if the ring is re-formed, which makes its own anyway.
        RunToken token = a.getRunToken() != 0 ? new RunToken(a.getRunToken()) : RunToken.random();
        return Optional.of(new Takeover(new Ring(a.getGeneration(), byRank, a.getStartStep(), StateSource.STATE_KEEP, 0,
                Optional.empty(), token), phases, held));
    }

    /** Every member of the ring has come back. */
    boolean complete() {
        return phases.size() == ring.worldSize();
    }

    /** The ring goes on as it is: every member is back and stepping, or done. */
    boolean adoptable() {
        return complete() && phases.values().stream().allMatch(p -> p == Phase.PHASE_TRAINING || p == Phase.PHASE_FINISHED);
    }

    /** Members that are not back, by rank. */
    List<Integer> missing() {
        List<Integer> ranks = new ArrayList<>();
        for (int rank = 0; rank < ring.worldSize(); rank++) {
            if (!phases.containsKey(rank)) {
                ranks.add(rank);
            }
        }
        return ranks;
    }
}
