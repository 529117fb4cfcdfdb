package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What {@code ringtrain checkpoint ls|inspect|verify <uri>} does, as library calls. Each takes a
 * checkpoint URI ({@code <root>/<run>/step-<n>}), a run URI ({@code <root>/<run>}: its latest
 * checkpoint) or, for inspect and verify, a root holding a single run. Stores are opened read-only.
 */
public final class CheckpointTools {
    private CheckpointTools() {
    }

    public static Listing ls(String uri) {
        return ls(uri, CheckpointStore::openExisting);
    }

    /** @param opener opens a store from a root URI (e.g. with S3 settings); the tool closes it */
    public static Listing ls(String uri, Function<String, CheckpointStore> opener) {
        try (CheckpointTarget target = CheckpointTarget.resolve(uri, opener)) {
            CheckpointCatalog catalog = new CheckpointCatalog(target.root());
            List<Listing.RunSteps> runs = new ArrayList<>();
            List<String> names = target.run() == null ? catalog.runs() : List.of(target.run());
            for (String run : names) {
                List<Listing.StepStatus> steps = new ArrayList<>();
                for (CheckpointCatalog.StepObjects step : catalog.steps(run)) {
                    boolean wanted = target.step() == null ? target.run() != null || step.committed() : step.step() == target.step();
                    if (wanted) {
                        steps.add(status(catalog, step));
                    }
                }
                runs.add(new Listing.RunSteps(run, steps));
            }
            return new Listing(uri, runs);
        }
    }

    private static Listing.StepStatus status(CheckpointCatalog catalog, CheckpointCatalog.StepObjects step) {
        if (!step.committed()) {
            return new Listing.StepStatus(step.step(), "no MANIFEST: save incomplete or still running", 0, 0, null);
        }
        try {
            CheckpointManifest m = catalog.check(step);
            return new Listing.StepStatus(step.step(), null, m.getWorldSize(), m.getStateBytes(), Instant.ofEpochMilli(m.getCreatedAtUnixMs()));
        } catch (CheckpointException e) {
            return new Listing.StepStatus(step.step(), e.getMessage(), 0, 0, null);
        }
    }

    public static Inspection inspect(String uri) {
        return inspect(uri, CheckpointStore::openExisting);
    }

    /** The manifest of the checkpoint {@code uri} names (for a run or root: its latest valid one). */
    public static Inspection inspect(String uri, Function<String, CheckpointStore> opener) {
        try (CheckpointTarget target = CheckpointTarget.resolve(uri, opener);
             Checkpoints checkpoints = Checkpoints.open(target.root(), new Checkpoints.Context().readParallelism(1))) {
            String run = runOf(target);
            CheckpointManifest manifest = target.step() != null ? checkpoints.manifest(run, target.step())
                    : checkpoints.latest(run).orElseThrow(() -> new CheckpointException("run " + run + " in " + target.root().uri()
                            + " has no valid checkpoint (see `checkpoint ls` for why)"));
            return new Inspection(target.root().locate(CheckpointKeys.stepDirectory(run, manifest.getStep())), manifest);
        }
    }

    public static VerifyReport verify(String uri) {
        return verify(uri, CheckpointStore::openExisting);
    }

    /**
     * Re-reads every shard of the checkpoint {@code uri} names and checks every size and checksum.
     * For a run (or root) it verifies the latest valid checkpoint and also reports, as problems,
     * every newer committed checkpoint that is not restorable. Never throws for a damaged
     * checkpoint: the report says what is wrong.
     */
    public static VerifyReport verify(String uri, Function<String, CheckpointStore> opener) {
        try (CheckpointTarget target = CheckpointTarget.resolve(uri, opener);
             Checkpoints checkpoints = Checkpoints.open(target.root(), new Checkpoints.Context())) {
            String run = runOf(target);
            CheckpointCatalog catalog = checkpoints.catalog();
            List<String> problems = new ArrayList<>();
            for (CheckpointCatalog.StepObjects step : target.step() != null
                    ? catalog.steps(run).stream().filter(s -> s.step() == target.step()).toList()
                    : catalog.committedNewestFirst(run)) {
                String where = target.root().locate(CheckpointKeys.stepDirectory(run, step.step()));
                try {
                    VerifyReport report = checkpoints.verify(catalog.check(step));
                    problems.addAll(report.problems());
                    return new VerifyReport(report.checkpoint(), report.shards(), problems);
                } catch (CheckpointException e) {
                    problems.add(e.getMessage());
                    if (target.step() != null) {
                        return new VerifyReport(where, List.of(), problems);
                    }
                }
            }
            String where = target.step() == null ? target.root().locate(run)
                    : target.root().locate(CheckpointKeys.stepDirectory(run, target.step()));
            problems.add(target.step() == null ? "no valid checkpoint in run " + run : "no checkpoint at " + where);
            return new VerifyReport(where, List.of(), problems);
        } catch (CheckpointException e) {
            return new VerifyReport(uri, List.of(), List.of(e.getMessage()));
        }
    }

    private static String runOf(CheckpointTarget target) {
        if (target.run() != null) {
            return target.run();
        }
        List<String> runs = new CheckpointCatalog(target.root()).runs();
        if (runs.size() != 1) {
            throw new CheckpointException(target.root().uri() + " holds " + (runs.isEmpty() ? "no runs" : "runs " + runs)
                    + ": name a run or a checkpoint, e.g. " + target.root().locate(runs.isEmpty() ? "<run>" : runs.get(0)));
        }
        return runs.get(0);
    }
}
