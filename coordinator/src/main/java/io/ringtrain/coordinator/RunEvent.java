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
     */
    record Progress(long stepsDone, long totalSteps, double loss, double samplesPerSecond, double stepsPerSecond) implements RunEvent {
    }

    record CheckpointCommitted(long step, int worldSize) implements RunEvent {
    }

    /** Terminal: every worker finished and every checkpoint is committed. */
    record RunFinished(RunResult result) implements RunEvent {
    }

    /** Terminal: the run failed; {@code reason} says what happened and, where known, what to do. */
    record RunFailed(String reason) implements RunEvent {
    }
}
