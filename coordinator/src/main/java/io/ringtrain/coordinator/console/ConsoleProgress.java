package io.ringtrain.coordinator.console;

import io.ringtrain.coordinator.RunEvent;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/** Prints a run's events as one line each: registrations, the ring, progress with ETA, checkpoints. */
public final class ConsoleProgress implements Consumer<RunEvent> {

    private final PrintStream out;

    public ConsoleProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void accept(RunEvent event) {
        String line = null;
        if (event instanceof RunEvent.WorkerRegistered r) {
            line = "worker " + r.workerId() + " registered (" + r.registered() + "/" + r.minWorkers() + ")";
        } else if (event instanceof RunEvent.RingFormed r) {
            line = "ring generation " + r.generation() + ": " + String.join(", ", r.workerIdsByRank());
        } else if (event instanceof RunEvent.TrainingStarted s) {
            line = "training with " + s.worldSize() + " workers from step " + s.startStep() + (s.restored() ? " (restored from its checkpoint)" : "");
        } else if (event instanceof RunEvent.Progress p) {
            line = progress(p);
        } else if (event instanceof RunEvent.CheckpointCommitted c) {
            line = "checkpoint at step " + c.step() + " committed (" + c.worldSize() + " shards)";
        } else if (event instanceof RunEvent.RingStopping s) {
            line = "ring generation " + s.generation() + " stopping: " + s.reason();
        } else if (event instanceof RunEvent.WaitingForWorkers w) {
            line = "paused after step " + w.stepsDone() + ": waiting for workers: " + w.live() + " live, min " + w.minWorkers();
        } else if (event instanceof RunEvent.TookOver t) {
            line = "coordinator took over the run: ring generation " + t.generation() + " (" + String.join(", ", t.workerIdsByRank()) + ") "
                    + (t.adopted() ? "goes on as it is" : "is re-formed");
        } else if (event instanceof RunEvent.RingReformed r) {
            line = "ring re-formed: " + r.change().describe();
        }
        if (line != null) {
            out.println(line);
            out.flush();
        }
    }

    static String progress(RunEvent.Progress p) {
        int width = Long.toString(p.totalSteps()).length();
        String eta = p.stepsPerSecond() > 0 ? duration(Duration.ofMillis((long) ((p.totalSteps() - p.stepsDone()) / p.stepsPerSecond() * 1000))) : "?";
        return String.format(Locale.ROOT, "step %" + width + "d/%d (%3d%%)  loss %.4f  %,.0f samples/s  %d workers  ETA %s",
                p.stepsDone(), p.totalSteps(), p.stepsDone() * 100 / Math.max(1, p.totalSteps()), p.loss(), p.samplesPerSecond(),
                p.worldSize(), eta);
    }

    /** 0:42, 12:05, 1:02:03. */
    public static String duration(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
