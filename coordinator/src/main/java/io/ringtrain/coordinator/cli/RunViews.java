package io.ringtrain.coordinator.cli;

import io.ringtrain.coordinator.k8s.RunStatus;
import io.ringtrain.coordinator.launch.LaunchedRuns;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How `runs` and `status` print a launched run. */
final class RunViews {

    private RunViews() {
    }

    static String table(List<LaunchedRuns.Run> runs, Instant now) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "PHASE", "WORKERS", "STEP", "LOSS", "CHECKPOINT", "AGE"});
        for (LaunchedRuns.Run run : runs) {
            RunStatus s = run.status();
            rows.add(new String[] {run.name(), phase(s), s.workers() + "/" + run.desiredWorkers(), step(s), loss(s),
                    s.lastCheckpoint() < 0 ? "-" : Long.toString(s.lastCheckpoint()), run.created() == null ? "?" : age(run.created(), now)});
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format(Locale.ROOT, "%-" + (widths[i] + 2) + "s", row[i]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    static String detail(LaunchedRuns.Run run, Instant now) {
        RunStatus s = run.status();
        StringBuilder out = new StringBuilder();
        out.append("run:         ").append(run.name()).append(" (namespace ").append(run.namespace()).append(")\n");
        out.append("phase:       ").append(phase(s)).append(s.message().isEmpty() ? "" : ": " + s.message()).append('\n');
        out.append("step:        ").append(step(s)).append('\n');
        out.append("loss:        ").append(loss(s)).append('\n');
        out.append("checkpoint:  ").append(s.lastCheckpoint() < 0 ? "none yet" : "step " + s.lastCheckpoint()).append('\n');
        out.append("workers:     ").append(s.workers()).append(" in the ring, ").append(run.desiredWorkers()).append(" desired, ")
                .append(run.readyWorkers()).append(" ready\n");
        if (run.spec() != null) {
            out.append("model:       ").append(run.spec().spec().model()).append(", image ").append(run.spec().spec().image()).append('\n');
            out.append("checkpoints: ").append(run.spec().spec().checkpoints().uri()).append('/').append(run.name()).append("/\n");
        }
        if (!s.coordinator().isEmpty()) {
            out.append("coordinator: ").append(s.coordinator()).append(", ring generation ").append(s.generation()).append('\n');
        }
        out.append("updated:     ").append(s.updated() == null ? "never" : s.updated() + " (" + age(s.updated(), now) + " ago)").append('\n');
        return out.toString();
    }

    /** One line per change, for --watch. */
    static String line(RunStatus s, int desiredWorkers) {
        return String.format(Locale.ROOT, "%s  step %s  loss %s  workers %d/%d  checkpoint %s%s", phase(s), step(s), loss(s), s.workers(),
                desiredWorkers, s.lastCheckpoint() < 0 ? "-" : Long.toString(s.lastCheckpoint()),
                s.message().isEmpty() ? "" : "  (" + s.message() + ")");
    }

    static String phase(RunStatus s) {
        return s.recorded() ? s.phase() : "Pending";
    }

    private static String step(RunStatus s) {
        return s.totalSteps() <= 0 ? "-" : s.step() + "/" + s.totalSteps();
    }

    private static String loss(RunStatus s) {
        return Double.isNaN(s.loss()) ? "-" : String.format(Locale.ROOT, "%.4f", s.loss());
    }

    static String age(Instant then, Instant now) {
        Duration d = Duration.between(then, now);
        long s = Math.max(0, d.toSeconds());
        if (s < 120) {
            return s + "s";
        }
        if (s < 7200) {
            return s / 60 + "m";
        }
        return s < 172800 ? s / 3600 + "h" : s / 86400 + "d";
    }
}
