package io.ringtrain.checkpoint;

import java.time.Instant;
import java.util.List;

/**
 * What {@link CheckpointTools#ls} found: for a root, every run and its committed checkpoints; for
 * a run, every step directory including incomplete ones.
 */
public record Listing(String uri, List<RunSteps> runs) {

    /** A run and its steps, oldest first. */
    public record RunSteps(String run, List<StepStatus> steps) {
        public RunSteps {
            steps = List.copyOf(steps);
        }
    }

    /**
     * One step directory. {@code problem} is null for a valid checkpoint; otherwise it says why the
     * step is not restorable ("no MANIFEST: save incomplete or still running", a corrupt manifest,
     * a missing shard…). World size, size and time are known only when the manifest is readable.
     */
    public record StepStatus(long step, String problem, int worldSize, long stateBytes, Instant createdAt) {
        public boolean valid() {
            return problem == null;
        }
    }

    public Listing {
        runs = List.copyOf(runs);
    }

    public String toText() {
        StringBuilder out = new StringBuilder(uri).append('\n');
        if (runs.isEmpty()) {
            out.append("  (no checkpoints)\n");
        }
        for (RunSteps run : runs) {
            out.append("  run ").append(run.run()).append(run.steps().isEmpty() ? "  (no checkpoints)" : "").append('\n');
            for (StepStatus step : run.steps()) {
                if (step.valid()) {
                    out.append(String.format("    step %-12d ok       world size %-4d %,15d bytes  %s%n",
                            step.step(), step.worldSize(), step.stateBytes(), step.createdAt()));
                } else {
                    out.append(String.format("    step %-12d INVALID  %s%n", step.step(), step.problem()));
                }
            }
        }
        return out.toString();
    }
}
