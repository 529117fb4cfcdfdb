package io.ringtrain.coordinator;

import io.ringtrain.allreduce.RunToken;
import io.ringtrain.protocol.control.StateSource;
import io.ringtrain.worker.StateDigest;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Chooses the next ring generation from the membership: who is in it (the staying members, in rank order, up to
 * max-workers), the step it starts from, and where every rank takes that state from.
 *
 * <p>The rule, and why it is safe: ranks of one ring hold bit-identical state after every step, but when a ring
 * breaks the survivors can be one step apart (a rank whose last all-reduce completed applied the update while a
 * peer's timed out). The next generation starts from the furthest step any member completed; ranks behind, and
 * workers that just joined, take the state from the lowest rank that holds it. No step is redone and nothing is
 * read from storage, unless no member holds any of the run's state (every worker of the run is new, e.g. after
 * all of them were replaced): then the newest committed checkpoint is restored, or the run starts from scratch if
 * it has none.
 */
final class NextRing {

    private NextRing() {
    }

    /** The ring, or why there is none. */
    sealed interface Choice {
    }

    record Formed(Ring ring) implements Choice {
    }

    /** Not enough members: wait for more. */
    record TooFew(int live, int minWorkers) implements Choice {
        String describe() {
            return "waiting for workers: " + live + " live, min-workers " + minWorkers;
        }
    }

    /** Members that hold the same step hold different state: the run cannot go on safely. */
    record Inconsistent(String problem) implements Choice {
    }

    /**
     * @param firstStart  the step the run starts from when nobody holds state yet: 0, or the resumed checkpoint's
     * @param lastCommitted the newest checkpoint committed during this run, if any
     */
    static Choice choose(Membership membership, long generation, int minWorkers, long firstStart, OptionalLong lastCommitted) {
        List<WorkerRegistration> byRank = membership.nextRing();
        if (byRank.size() < minWorkers) {
            return new TooFew(byRank.size(), minWorkers);
        }
        long furthest = -1;
        for (WorkerRegistration r : byRank) {
            Optional<StateDigest> state = membership.member(r.worker()).flatMap(Membership.Member::state);
            if (state.isPresent()) {
                furthest = Math.max(furthest, state.get().stepsDone());
            }
        }
        long committed = lastCommitted.orElse(firstStart);
        if (furthest < 0 || furthest < committed) {
            // Nobody holds the run's state (or only an older one than storage has).
            long start = Math.max(firstStart, committed);
            return new Formed(new Ring(generation, byRank, start, start == 0 ? StateSource.STATE_FRESH : StateSource.STATE_CHECKPOINT,
                    0, Optional.empty(), RunToken.random()));
        }
        int source = -1;
        StateDigest expected = null;
        boolean everyRankHoldsIt = true;
        for (int rank = 0; rank < byRank.size(); rank++) {
            Optional<StateDigest> state = membership.member(byRank.get(rank).worker()).flatMap(Membership.Member::state);
            if (state.isPresent() && state.get().stepsDone() == furthest) {
                if (expected == null) {
                    source = rank;
                    expected = state.get();
                } else if (expected.crc32c() != state.get().crc32c()) {
                    return new Inconsistent("ranks disagree about the state after step " + furthest + ": " + byRank.get(source).workerId()
                            + " holds " + expected + " but " + byRank.get(rank).workerId() + " holds " + state.get()
                            + "; this is a bug in the data plane or the model (its steps are not deterministic)");
                }
            } else {
                everyRankHoldsIt = false;
            }
        }
        return new Formed(new Ring(generation, byRank, furthest, everyRankHoldsIt ? StateSource.STATE_KEEP : StateSource.STATE_PEER,
                everyRankHoldsIt ? 0 : source, Optional.of(expected), RunToken.random()));
    }
}
