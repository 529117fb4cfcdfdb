package io.ringtrain.coordinator;

import io.ringtrain.worker.RunSettings;
import java.util.Optional;
import java.util.OptionalLong;

/** Whether the checkpoint found for --resume can start the run, and whether the run already finished. */
final class ResumePoint {

    private ResumePoint() {
    }

    /**
     * That the run already finished, if its completion record reaches --steps (a run finished at N steps and started
     * again with more trains on).
     */
    static Optional<String> finished(RunSettings run, OptionalLong completedSteps) {
        if (completedSteps.isEmpty() || completedSteps.getAsLong() < run.totalSteps()) {
            return Optional.empty();
        }
        return Optional.of("run " + run.runId() + " finished after " + completedSteps.getAsLong() + " steps (recorded under "
                + run.checkpointUri() + "); raise --steps above " + completedSteps.getAsLong() + " to train it further");
    }

    /** Why the run cannot resume from what the look-up found, or empty if it can. */
    static Optional<String> problem(RunSettings run, OptionalLong step, Throwable error) {
        if (error != null) {
            return Optional.of("looking for the latest checkpoint under " + run.checkpointUri() + " failed: "
                    + BlockingCalls.rootMessage(error));
        }
        if (step.isEmpty()) {
            return Optional.of("--resume: no committed checkpoint of run " + run.runId() + " under " + run.checkpointUri()
                    + "; start without --resume, or point --checkpoint-dir and --run-id at an earlier run");
        }
        if (step.getAsLong() >= run.totalSteps()) {
            return Optional.of("--resume: the latest checkpoint of run " + run.runId() + " is at step " + step.getAsLong()
                    + ", which already reaches --steps " + run.totalSteps() + "; raise --steps to train further");
        }
        return Optional.empty();
    }
}
