package io.ringtrain.coordinator;

import java.util.List;

/** What the coordinator tells whoever watches the run (the CLI's console, tests). */
public sealed interface RunEvent {

    record WorkerRegistered(String workerId, String dataPlaneEndpoint, int registered, int minWorkers) implements RunEvent {
    }

    record RingFormed(long generation, List<String> workerIdsByRank, List<String> endpointsByRank) implements RunEvent {
        public RingFormed {
            workerIdsByRank = List.copyOf(workerIdsByRank);
            endpointsByRank = List.copyOf(endpointsByRank);
        }
    }

    record TrainingStarted(long generation, int worldSize, long startStep, boolean restored) implements RunEvent {
    }

    /**
     * @param stepsDone        steps done by the furthest rank (ranks are at most a step apart)
     * @param loss             mean over ranks of each rank's latest loss
     * @param samplesPerSecond sum over ranks of each rank's recent rate
     * @param stepsPerSecond   over the last progress intervals; 0 until two reports are in
     * @param worldSize        ranks in the current ring
     */
    record Progress(long stepsDone, long totalSteps, double loss, double samplesPerSecond, double stepsPerSecond,
                    int worldSize) implements RunEvent {
    }

    /** The ring of {@code generation} is stopping: a member was lost, or the ring pauses to let workers join or leave. */
    record RingStopping(long generation, String reason) implements RunEvent {
    }

    /**
     * This coordinator took over a running run (the previous one was lost): ring {@code generation} goes on as it is
     * when {@code adopted}, else it is re-formed from what its members hold.
     */
    record TookOver(long generation, List<String> workerIdsByRank, boolean adopted) implements RunEvent {
        public TookOver {
            workerIdsByRank = List.copyOf(workerIdsByRank);
        }
    }

    /** The run is paused at a step boundary until enough workers are back (or the rendezvous timeout ends it). */
    record WaitingForWorkers(long stepsDone, int live, int minWorkers) implements RunEvent {
    }

    /** A new ring generation completed its first step; {@code change} says what changed and what it cost. */
    record RingReformed(MembershipChange change) implements RunEvent {
    }

    record CheckpointCommitted(long step, int worldSize) implements RunEvent {
    }

    /** The run is ending (successfully or not): every worker has been told; the terminal event follows once they left. */
    record RunEnding(boolean success) implements RunEvent {
    }

    /** Terminal: every worker finished and every checkpoint is committed. */
    record RunFinished(RunResult result) implements RunEvent {
    }

    /**
     * Terminal: the run had finished before this coordinator started (resume = auto found its completion record),
     * so it was not trained again; {@code message} says so and how to train it further.
     */
    record AlreadyFinished(String message) implements RunEvent {
    }

    /** Terminal: the run failed; {@code reason} says what happened and, where known, what to do. */
    record RunFailed(String reason) implements RunEvent {
    }
}
