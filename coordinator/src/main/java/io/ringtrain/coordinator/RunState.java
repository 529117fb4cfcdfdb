package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.ToWorker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the coordinator knows about the whole run, across ring generations: the membership, the generation
 * numbers used, checkpoints, progress and the history of membership changes. An immutable value: the coordinator
 * passes it from behavior to behavior, and every change returns a new one.
 *
 * @param highestGeneration the newest generation any data plane of the run has seen; the next one is above it
 * @param startStep         where the run starts when no member holds state: 0, or the resumed checkpoint's step;
 *                          empty until the checkpoint look-up answered
 * @param worldSizes        every generation's world size, for tallying checkpoint shards that arrive late
 * @param pendingChange     the ring stopped and the next generation has not completed a step yet
 * @param firstStepNanos    when the first rank's first step completed; 0 before
 */
record RunState(Membership membership, Set<ActorRef<ToWorker>> welcomed, long highestGeneration, OptionalLong startStep,
                Map<Long, Integer> worldSizes, ShardTally shards, int commitsInFlight, int checkpointsCommitted,
                OptionalLong lastCommittedStep, ProgressBoard progress, List<MembershipChange> changes,
                Optional<MembershipChange> pendingChange, long startedNanos, long firstStepNanos, long trainingStartNanos,
                long trainingStartStep) {

    RunState {
        welcomed = Set.copyOf(welcomed);
        worldSizes = Map.copyOf(worldSizes);
        changes = List.copyOf(changes);
    }

    static RunState starting(int maxWorkers, long totalSteps, OptionalLong startStep, long nowNanos) {
        return new RunState(Membership.empty(maxWorkers), Set.of(), 0, startStep, Map.of(), ShardTally.empty(), 0, 0,
                OptionalLong.empty(), ProgressBoard.starting(totalSteps, startStep.orElse(0)), List.of(), Optional.empty(), nowNanos,
                0, 0, startStep.orElse(0));
    }

    RunState withMembership(Membership next) {
        return new RunState(next, welcomed, highestGeneration, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, progress, changes, pendingChange, startedNanos, firstStepNanos,
                trainingStartNanos, trainingStartStep);
    }

    RunState welcomedAlso(ActorRef<ToWorker> worker) {
        Set<ActorRef<ToWorker>> next = new HashSet<>(welcomed);
        next.add(worker);
        return new RunState(membership, next, highestGeneration, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, progress, changes, pendingChange, startedNanos, firstStepNanos,
                trainingStartNanos, trainingStartStep);
    }

    /** A worker reported having seen {@code generation}: numbering continues above it. */
    RunState sawGeneration(long generation) {
        return generation <= highestGeneration ? this
                : new RunState(membership, welcomed, generation, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, progress, changes, pendingChange, startedNanos, firstStepNanos,
                trainingStartNanos, trainingStartStep);
    }

    RunState formed(Ring ring) {
        Map<Long, Integer> sizes = new HashMap<>(worldSizes);
        sizes.put(ring.generation(), ring.worldSize());
        return new RunState(membership, welcomed, Math.max(highestGeneration, ring.generation()), startStep, sizes, shards,
                commitsInFlight, checkpointsCommitted, lastCommittedStep, progress.forGeneration(ring.worldSize(), ring.startStep()),
                changes, pendingChange, startedNanos, firstStepNanos, trainingStartNanos, trainingStartStep);
    }

    RunState startingFrom(OptionalLong step) {
        return new RunState(membership, welcomed, highestGeneration, step, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, progress, changes, pendingChange, startedNanos, firstStepNanos,
                trainingStartNanos, step.orElse(0));
    }

    /** The newest checkpoint in the store when the coordinator started, if any. */
    RunState knownCommitted(OptionalLong step) {
        OptionalLong newest = step.isPresent() && step.getAsLong() > lastCommittedStep.orElse(-1) ? step : lastCommittedStep;
        return new RunState(membership, welcomed, highestGeneration, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, newest, progress, changes, pendingChange, startedNanos, firstStepNanos,
                trainingStartNanos, trainingStartStep);
    }

    RunState withShards(ShardTally next, int commitsStarted) {
        return new RunState(membership, welcomed, highestGeneration, startStep, worldSizes, next, commitsInFlight + commitsStarted,
                checkpointsCommitted, lastCommittedStep, progress, changes, pendingChange, startedNanos, firstStepNanos,
                trainingStartNanos, trainingStartStep);
    }

    RunState committed(long step) {
        return new RunState(membership, welcomed, highestGeneration, startStep, worldSizes, shards, commitsInFlight - 1,
                checkpointsCommitted + 1, OptionalLong.of(Math.max(step, lastCommittedStep.orElse(step))), progress, changes,
                pendingChange, startedNanos, firstStepNanos, trainingStartNanos, trainingStartStep);
    }

    RunState withProgress(ProgressBoard next) {
        return new RunState(membership, welcomed, highestGeneration, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, next, changes, pendingChange, startedNanos, firstStepNanos,
                trainingStartNanos, trainingStartStep);
    }

    RunState changing(MembershipChange change) {
        return new RunState(membership, welcomed, highestGeneration, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, progress, changes, Optional.of(change), startedNanos, firstStepNanos,
                trainingStartNanos, trainingStartStep);
    }

    /** The pending change is complete: the new generation stepped at {@code atMillis}. */
    RunState changed(long atMillis) {
        if (pendingChange.isEmpty()) {
            return this;
        }
        List<MembershipChange> done = new ArrayList<>(changes);
        done.add(pendingChange.get().resumed(atMillis));
        return new RunState(membership, welcomed, highestGeneration, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, progress, done, Optional.empty(), startedNanos, firstStepNanos,
                trainingStartNanos, trainingStartStep);
    }

    RunState firstStepAt(long nanos) {
        return firstStepNanos != 0 ? this
                : new RunState(membership, welcomed, highestGeneration, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, progress, changes, pendingChange, startedNanos, nanos,
                trainingStartNanos, trainingStartStep);
    }

    RunState trainingStarted(long nanos) {
        return trainingStartNanos != 0 ? this
                : new RunState(membership, welcomed, highestGeneration, startStep, worldSizes, shards, commitsInFlight,
                checkpointsCommitted, lastCommittedStep, progress, changes, pendingChange, startedNanos, firstStepNanos,
                nanos, trainingStartStep);
    }

    /** The world size of ring {@code generation}, if it was formed. */
    Optional<Integer> worldSizeOf(long generation) {
        return Optional.ofNullable(worldSizes.get(generation));
    }
}
