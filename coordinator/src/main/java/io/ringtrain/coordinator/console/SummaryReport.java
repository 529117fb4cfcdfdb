package io.ringtrain.coordinator.console;

import io.ringtrain.coordinator.MembershipChange;
import io.ringtrain.coordinator.RunResult;
import io.ringtrain.worker.RunSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A finished run's summary: as text for the console, and as JSON for --summary-json. */
public final class SummaryReport {

    private SummaryReport() {
    }

    public static void print(PrintStream out, RunSettings run, RunResult r) {
        out.printf(Locale.ROOT, "%nrun %s finished: %d steps with %d workers in %.1f s%n", r.runId(), r.stepsDone(), r.worldSize(),
                r.elapsed().toMillis() / 1000.0);
        out.printf(Locale.ROOT, "  final loss          %.6f%n", r.finalLoss());
        out.printf(Locale.ROOT, "  held-out accuracy   %s%n",
                r.heldOutAccuracy().isPresent() ? String.format(Locale.ROOT, "%.2f %%", r.heldOutAccuracy().getAsDouble() * 100) : "not reported");
        out.printf(Locale.ROOT, "  samples/s           %,.0f (global batch %d)%n", r.samplesPerSecond(), run.globalBatch());
        out.printf(Locale.ROOT, "  steps               %d (from step %d)%n", r.stepsDone(), r.startStep());
        out.printf(Locale.ROOT, "  checkpoints         %d committed%s under %s%n", r.checkpointsCommitted(),
                r.lastCheckpointStep().isPresent() ? " (latest at step " + r.lastCheckpointStep().getAsLong() + ")" : "", run.checkpointUri());
        out.printf(Locale.ROOT, "  world size          %d%n", r.worldSize());
        out.printf(Locale.ROOT, "  ring generations    %d%n", r.generations());
        for (MembershipChange c : r.changes()) {
            out.printf(Locale.ROOT, "  membership change   %s%n", c.describe());
        }
        out.printf(Locale.ROOT, "  time to first step  %.1f s%n", r.timeToFirstStep().toMillis() / 1000.0);
        new TreeMap<>(r.metrics()).forEach((k, v) -> out.printf(Locale.ROOT, "  %-19s %.4f%n", k, v));
        if (!run.exportParams().isEmpty()) {
            out.printf("  parameters          %s%n", run.exportParams());
        }
        out.flush();
    }

    /** Writes the summary as one JSON object, atomically (temporary file, then rename). */
    public static void writeJson(Path file, RunSettings run, RunResult r) throws IOException {
        StringBuilder json = new StringBuilder("{\n");
        field(json, "runId", quote(r.runId()));
        field(json, "model", quote(run.model()));
        field(json, "worldSize", Integer.toString(r.worldSize()));
        field(json, "globalBatch", Integer.toString(run.globalBatch()));
        field(json, "seed", Long.toString(run.seed()));
        field(json, "startStep", Long.toString(r.startStep()));
        field(json, "steps", Long.toString(r.stepsDone()));
        field(json, "finalLoss", number(r.finalLoss()));
        field(json, "heldOutAccuracy", r.heldOutAccuracy().isPresent() ? number(r.heldOutAccuracy().getAsDouble()) : "null");
        field(json, "samplesPerSecond", number(r.samplesPerSecond()));
        field(json, "checkpointsCommitted", Integer.toString(r.checkpointsCommitted()));
        field(json, "lastCheckpointStep", r.lastCheckpointStep().isPresent() ? Long.toString(r.lastCheckpointStep().getAsLong()) : "null");
        field(json, "checkpointUri", quote(run.checkpointUri()));
        field(json, "timeToFirstStepSeconds", number(r.timeToFirstStep().toNanos() / 1e9));
        field(json, "elapsedSeconds", number(r.elapsed().toNanos() / 1e9));
        StringBuilder metrics = new StringBuilder("{");
        for (Map.Entry<String, Double> e : new TreeMap<>(r.metrics()).entrySet()) {
            metrics.append(metrics.length() > 1 ? ", " : "").append(quote(e.getKey())).append(": ").append(number(e.getValue()));
        }
        json.append("  \"metrics\": ").append(metrics).append("},\n");
        field(json, "generations", Long.toString(r.generations()));
        StringBuilder changes = new StringBuilder("[");
        for (MembershipChange c : r.changes()) {
            changes.append(changes.length() > 1 ? "," : "").append("\n    ").append(json(c));
        }
        json.append("  \"membershipChanges\": ").append(changes).append(r.changes().isEmpty() ? "]" : "\n  ]").append("\n}\n");
        Path absolute = file.toAbsolutePath();
        Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        Files.writeString(tmp, json, StandardCharsets.UTF_8);
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String json(MembershipChange c) {
        StringBuilder left = new StringBuilder("{");
        new TreeMap<>(c.left()).forEach((id, why) -> left.append(left.length() > 1 ? ", " : "").append(quote(id)).append(": ").append(quote(why)));
        return "{\"fromGeneration\": " + c.fromGeneration() + ", \"toGeneration\": " + c.toGeneration()
                + ", \"worldSizeBefore\": " + c.worldSizeBefore() + ", \"worldSizeAfter\": " + c.worldSizeAfter()
                + ", \"trigger\": " + quote(c.trigger())
                + ", \"joined\": [" + String.join(", ", c.joined().stream().map(SummaryReport::quote).toList()) + "]"
                + ", \"left\": " + left + "}"
                + ", \"triggeredAtMillis\": " + c.triggeredAtMillis() + ", \"stoppedAtMillis\": " + c.stoppedAtMillis()
                + ", \"resumedAtMillis\": " + c.resumedAtMillis()
                + ", \"detectionSeconds\": " + number(c.detection().toMillis() / 1e3)
                + ", \"recoverySeconds\": " + number(c.recovery().toMillis() / 1e3)
                + ", \"resumeStep\": " + c.resumeStep() + ", \"stepsRedone\": " + c.stepsRedone() + "}";
    }

    private static void field(StringBuilder json, String name, String value) {
        json.append("  ").append(quote(name)).append(": ").append(value).append(",\n");
    }

    private static String number(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20) {
                        q.append(String.format("\\u%04x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }
}
