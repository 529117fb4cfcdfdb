package io.ringtrain.coordinator;

import io.ringtrain.worker.RunSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

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

    /**
     * Why the checkpoint at {@code step} cannot continue this run: it was made with other settings that decide the
     * result (seed, global batch, optimizer, learning rate, model, -O options other than execution ones), each named
     * with both values. Empty when they agree; --steps may differ (to train further), and settings the checkpoint
     * does not record are not compared, except that an option it records must still be given.
     */
    static Optional<String> settingsDiffer(RunSettings run, long step, Map<String, String> recorded) {
        List<String> differences = new ArrayList<>();
        Map<String, String> now = run.resultConfig();
        now.forEach((key, value) -> {
            String then = recorded.get(key);
            if (then != null && !key.equals(RunSettings.TOTAL_STEPS) && !sameValue(then, value)) {
                differences.add(key + " " + then + " (now " + value + ")");
            }
        });
        new TreeMap<>(recorded).forEach((key, then) -> {
            if (key.startsWith(RunSettings.OPTION_PREFIX) && !now.containsKey(key)) {
                differences.add(key + " " + then + " (now not given)");
            }
        });
        if (differences.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("--resume: the checkpoint at step " + step + " of run " + run.runId() + " was made with "
                + String.join(", ", differences) + "; a resumed run must keep the settings that decide its result (only"
                + " --steps may change): use the same ones, or a new --run-id to start a run with these");
    }

    /** Numbers compare as numbers ("0.05" and "5.0E-2" agree). */
    private static boolean sameValue(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        try {
            return Double.parseDouble(a) == Double.parseDouble(b);
        } catch (NumberFormatException notNumbers) {
            return false;
        }
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
