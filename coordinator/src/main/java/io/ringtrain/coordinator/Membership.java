package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.WorkerSituation;
import io.ringtrain.worker.StateDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Who takes part in the run, for the whole run: every worker that registered, whether it is still alive, whether
 * it is leaving, and the training state it last reported. A ring generation is one snapshot of it
 * ({@link #formRing}); the membership outlives every generation. An immutable value: every change returns a new one.
 *
 * <p>Workers with an ordinal (a StatefulSet pod's, or an explicit one) get the lowest ranks, ordered by ordinal, so
 * a restarted pod keeps its rank; workers without one follow in the order they registered. Ranks are dense (0..n-1)
 * even when ordinals have gaps or a member is gone.
 */
record Membership(Map<ActorRef<ToWorker>, Member> members, int joins, int maxWorkers) {

    /** One registered worker, alive or gone. */
    record Member(WorkerRegistration registration, boolean alive, boolean leaving, Optional<StateDigest> state, String goneBecause,
                  Optional<WorkerSituation> situation) {

        String workerId() {
            return registration.workerId();
        }

        /** Without the situation, whose ring assignment holds the run token in the clear. */
        @Override
        public String toString() {
            return "Member[" + registration + ", alive=" + alive + ", leaving=" + leaving + ", state=" + state
                    + (goneBecause == null || goneBecause.isEmpty() ? "" : ", gone: " + goneBecause) + "]";
        }

        Member withState(StateDigest digest) {
            return new Member(registration, alive, leaving, Optional.of(digest), goneBecause, situation);
        }

        Member markedLeaving() {
            return new Member(registration, alive, true, state, goneBecause, situation);
        }

        Member markedGone(String because) {
            return new Member(registration, false, leaving, state, because, situation);
        }
    }

    private static final Comparator<WorkerRegistration> RANK_ORDER = Comparator
            .comparingInt((WorkerRegistration r) -> r.ordinal().isPresent() ? 0 : 1)
            .thenComparingInt(r -> r.ordinal().orElse(0))
            .thenComparingInt(WorkerRegistration::joinIndex);

    Membership {
        members = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(members));
    }

    static Membership empty(int maxWorkers) {
        return new Membership(Map.of(), 0, maxWorkers);
    }

    /** The outcome of a registration: the new membership, or why the worker cannot take part. */
    record Registration(Membership membership, Optional<String> rejection, boolean isNew) {
    }

    /** Registers the worker, or says why it cannot take part. Registering the same worker twice is harmless. */
    Registration register(ActorRef<ToWorker> worker, RegisterWorker message) {
        if (members.containsKey(worker)) {
            return new Registration(this, Optional.empty(), false);
        }
        OptionalInt ordinal = message.hasOrdinal() ? OptionalInt.of(message.getOrdinal()) : OptionalInt.empty();
        for (Member m : live()) {
            WorkerRegistration r = m.registration();
            if (r.workerId().equals(message.getWorkerId())) {
                return rejected("the worker name " + message.getWorkerId() + " is already taken by " + r.describe()
                        + ", which is still alive; give every worker a distinct name");
            }
            if (ordinal.isPresent() && r.ordinal().equals(ordinal)) {
                return rejected("ordinal " + ordinal.getAsInt() + " is already taken by " + r.describe()
                        + "; give every worker a distinct ordinal");
            }
            if (r.endpoint().equals(message.getDataPlaneEndpoint())) {
                return rejected("data-plane endpoint " + message.getDataPlaneEndpoint() + " is already used by " + r.describe()
                        + "; give every worker its own data-plane port");
            }
        }
        if (live().size() >= maxWorkers) {
            return rejected("the run is full: max-workers is " + maxWorkers);
        }
        Map<ActorRef<ToWorker>, Member> next = new LinkedHashMap<>(members);
        // A worker that was in the run before this coordinator took over says where it is, and what state it holds.
        Optional<WorkerSituation> situation = message.hasSituation() && message.getSituation().hasRing()
                ? Optional.of(message.getSituation()) : Optional.empty();
        Optional<StateDigest> held = situation.filter(s -> s.getPhase() == WorkerSituation.Phase.PHASE_STANDBY)
                .map(s -> new StateDigest(s.getStepsDone(), s.getStateCrc32C()));
        next.put(worker, new Member(new WorkerRegistration(worker, message.getWorkerId(), ordinal, message.getDataPlaneEndpoint(), joins),
                true, false, held, "", situation));
        return new Registration(new Membership(next, joins + 1, maxWorkers), Optional.empty(), true);
    }

    private Registration rejected(String reason) {
        return new Registration(this, Optional.of(reason), false);
    }

    Optional<Member> member(ActorRef<?> worker) {
        return Optional.ofNullable(members.get(worker));
    }

    /** The live member at a node address (a worker process runs one node). */
    Optional<Member> liveAt(Address address) {
        return live().stream().filter(m -> m.registration().address().equals(address)).findFirst();
    }

    /** The live member with this name. */
    Optional<Member> liveNamed(String workerId) {
        return live().stream().filter(m -> m.workerId().equals(workerId)).findFirst();
    }

    List<Member> live() {
        return members.values().stream().filter(Member::alive).toList();
    }

    /** Live members that stay: not leaving. */
    List<Member> staying() {
        return members.values().stream().filter(m -> m.alive() && !m.leaving()).toList();
    }

    Membership gone(ActorRef<?> worker, String because) {
        return update(worker, m -> m.alive() ? m.markedGone(because) : m);
    }

    Membership leaving(ActorRef<?> worker) {
        return update(worker, Member::markedLeaving);
    }

    Membership reported(ActorRef<?> worker, StateDigest digest) {
        return update(worker, m -> m.withState(digest));
    }

    private Membership update(ActorRef<?> worker, UnaryOperator<Member> change) {
        Member m = members.get(worker);
        if (m == null) {
            return this;
        }
        Map<ActorRef<ToWorker>, Member> next = new LinkedHashMap<>(members);
        next.put(m.registration().worker(), change.apply(m));
        return new Membership(next, joins, maxWorkers);
    }

    /** The staying members (at most max-workers) as the ring of {@code generation}, in rank order. */
    List<WorkerRegistration> nextRing() {
        List<WorkerRegistration> byRank = new ArrayList<>(staying().stream().map(Member::registration).toList());
        byRank.sort(RANK_ORDER);
        return byRank.subList(0, Math.min(byRank.size(), maxWorkers));
    }

    List<String> liveIds() {
        return live().stream().map(Member::workerId).toList();
    }
}
