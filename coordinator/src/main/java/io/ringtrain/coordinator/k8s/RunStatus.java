package io.ringtrain.coordinator.k8s;

import io.ringtrain.coordinator.RunEvent;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A launched run as its coordinator last recorded it, in the run's status ConfigMap ({@link RunNames#status}), which
 * {@code ringtrain runs} and {@code ringtrain status} read. An immutable value; {@link #next} folds in the coordinator's
 * events.
 *
 * @param phase          Pending (waiting for workers), Running, Recovering (the ring re-forms, or pauses below min),
 *                       Succeeded, Failed
 * @param message        what is happening now, in the console's words
 * @param lastCheckpoint the step of the newest committed checkpoint; -1: none yet
 * @param workers        workers in the current ring
 * @param coordinator    the pod that wrote it
 */
public record RunStatus(String phase, String message, long step, long totalSteps, double loss, long lastCheckpoint, int workers,
                        long generation, String coordinator, Instant updated) {

    public static final String PENDING = "Pending";
    public static final String RUNNING = "Running";
    public static final String RECOVERING = "Recovering";
    public static final String SUCCEEDED = "Succeeded";
    public static final String FAILED = "Failed";

    /** Nothing recorded yet: the coordinator has not started (or cannot write). */
    public static RunStatus none() {
        return new RunStatus("", "", 0, 0, Double.NaN, -1, 0, 0, "", null);
    }

    public boolean recorded() {
        return !phase.isEmpty();
    }

    public boolean finished() {
        return SUCCEEDED.equals(phase) || FAILED.equals(phase);
    }

    /** A coordinator (re)starting: what was recorded stays (step, loss, checkpoint) until its events say otherwise. */
    public RunStatus starting(String pod, long totalSteps) {
        return with(PENDING, "coordinator " + pod + " started; waiting for workers", step, totalSteps, loss, lastCheckpoint, 0, generation)
                .by(pod);
    }

    /** The status after {@code event}; the same when the event changes nothing users see. */
    public RunStatus next(RunEvent event) {
        if (event instanceof RunEvent.WorkerRegistered r) {
            return PENDING.equals(phase) ? withMessage("waiting for workers: " + r.registered() + " of " + r.minWorkers() + " registered") : this;
        }
        if (event instanceof RunEvent.TrainingStarted s) {
            return with(RUNNING, "training with " + s.worldSize() + " workers from step " + s.startStep(), s.startStep(), totalSteps, loss,
                    lastCheckpoint, s.worldSize(), s.generation());
        }
        if (event instanceof RunEvent.Progress p) {
            String phase = RECOVERING.equals(this.phase) ? RECOVERING : RUNNING;
            return with(phase, phase.equals(RUNNING) ? "training" : message, p.stepsDone(), p.totalSteps(), p.loss(), lastCheckpoint,
                    p.worldSize(), generation);
        }
        if (event instanceof RunEvent.RingStopping s) {
            return with(RECOVERING, "ring generation " + s.generation() + " stopping: " + s.reason(), step, totalSteps, loss, lastCheckpoint,
                    workers, generation);
        }
        if (event instanceof RunEvent.WaitingForWorkers w) {
            return with(RECOVERING, "paused after step " + w.stepsDone() + ": waiting for workers: " + w.live() + " live, min "
                    + w.minWorkers(), w.stepsDone(), totalSteps, loss, lastCheckpoint, w.live(), generation);
        }
        if (event instanceof RunEvent.RingReformed r) {
            return with(RUNNING, "ring re-formed: " + r.change().describe(), step, totalSteps, loss, lastCheckpoint, workers, generation);
        }
        if (event instanceof RunEvent.TookOver t) {
            return with(t.adopted() ? RUNNING : RECOVERING, "coordinator took over ring generation " + t.generation(), step, totalSteps,
                    loss, lastCheckpoint, t.workerIdsByRank().size(), t.generation());
        }
        if (event instanceof RunEvent.CheckpointCommitted c) {
            // Progress reports lag by up to an interval; a committed checkpoint proves its step was done.
            return with(phase, message, Math.max(step, c.step()), totalSteps, loss, Math.max(lastCheckpoint, c.step()), workers, generation);
        }
        if (event instanceof RunEvent.RunFinished f) {
            var r = f.result();
            return with(SUCCEEDED, String.format(Locale.ROOT, "finished %d steps with %d workers, final loss %.4f", r.stepsDone(),
                    r.worldSize(), r.finalLoss()), r.stepsDone(), totalSteps, r.finalLoss(),
                    r.lastCheckpointStep().isPresent() ? r.lastCheckpointStep().getAsLong() : lastCheckpoint, 0, r.generations());
        }
        if (event instanceof RunEvent.AlreadyFinished done) {
            return with(SUCCEEDED, done.message(), step, totalSteps, loss, lastCheckpoint, 0, generation);
        }
        if (event instanceof RunEvent.RunFailed failed) {
            return with(FAILED, failed.reason(), step, totalSteps, loss, lastCheckpoint, workers, generation);
        }
        return this;
    }

    private RunStatus with(String phase, String message, long step, long totalSteps, double loss, long lastCheckpoint, int workers,
                           long generation) {
        return new RunStatus(phase, message, step, totalSteps, loss, lastCheckpoint, workers, generation, coordinator, Instant.now());
    }

    private RunStatus withMessage(String message) {
        return with(phase, message, step, totalSteps, loss, lastCheckpoint, workers, generation);
    }

    private RunStatus by(String pod) {
        return new RunStatus(phase, message, step, totalSteps, loss, lastCheckpoint, workers, generation, pod, updated);
    }

    /** As the status ConfigMap's data. */
    public Map<String, String> toData() {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("phase", phase);
        data.put("message", message);
        data.put("step", Long.toString(step));
        data.put("totalSteps", Long.toString(totalSteps));
        data.put("loss", Double.isNaN(loss) ? "" : Double.toString(loss));
        data.put("lastCheckpoint", lastCheckpoint < 0 ? "" : Long.toString(lastCheckpoint));
        data.put("workers", Integer.toString(workers));
        data.put("generation", Long.toString(generation));
        data.put("coordinator", coordinator);
        data.put("updated", updated == null ? "" : updated.toString());
        return data;
    }

    /** From the status ConfigMap's data; missing or unreadable fields come out as "none". */
    public static RunStatus fromData(Map<String, String> data) {
        if (data == null || data.isEmpty()) {
            return none();
        }
        return new RunStatus(data.getOrDefault("phase", ""), data.getOrDefault("message", ""), number(data, "step", 0),
                number(data, "totalSteps", 0), decimal(data.get("loss")), number(data, "lastCheckpoint", -1),
                (int) number(data, "workers", 0), number(data, "generation", 0), data.getOrDefault("coordinator", ""),
                instant(data.get("updated")));
    }

    private static long number(Map<String, String> data, String key, long fallback) {
        try {
            return Long.parseLong(data.getOrDefault(key, "").trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static double decimal(String value) {
        try {
            return value == null || value.isBlank() ? Double.NaN : Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static Instant instant(String value) {
        try {
            return value == null || value.isBlank() ? null : Instant.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
