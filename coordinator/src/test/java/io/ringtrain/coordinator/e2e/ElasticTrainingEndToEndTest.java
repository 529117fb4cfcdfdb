package io.ringtrain.coordinator.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.NpyFile;
import io.ringtrain.worker.model.ParameterDifference;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.Replica;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Elastic training and coordinator fail-over for real: `ringtrain local --standby-coordinator` with four worker JVMs
 * over Aeron, and faults injected with real signals. First the coordinator's JVM is killed twice: the standby takes
 * over, then (no standby up yet) the coordinator the launcher starts again; the workers never stop stepping for it
 * and the ring is adopted as it is. Then, under that coordinator, workers are killed, stopped and frozen. Whatever
 * happens, the run ends with the parameters of the same run done in one piece (the global batch is re-split over
 * whoever is in the ring), within 1e-5 (max|a-b| / max|a|).
 */
class ElasticTrainingEndToEndTest {
    private static final Duration EVENT = Duration.ofSeconds(90);
    private static final double TOLERANCE = 1e-5;
    private static final String ADOPTED = "coordinator took over the run: ring generation 1 (worker-0, worker-1, worker-2, worker-3)"
            + " goes on as it is";
    private static final Pattern CHANGE = Pattern.compile("\\{\"fromGeneration\": (\\d+), \"toGeneration\": (\\d+)[^\\n]*");

    @TempDir
    Path dir;

    private String[] local(String name, int steps, String... more) {
        List<String> args = new ArrayList<>(List.of("local", "--workers", "4", "--steps", Integer.toString(steps),
                "--checkpoint-every", "100", "--progress-interval", "500ms", "--max-restarts", "6", "--standby-coordinator",
                // Steps of at least 200 ms (parked, not spent), so that replacement JVMs are up before the run is over
                // while the run stays short: float32 summation order (which differs with the world size) is amplified
                // by training, and after ~500 steps of this model runs at different world sizes drift apart by more
                // than 1e-5 whether or not anything failed.
                "-O", "synthetic-compute-ms=200",
                "--checkpoint-dir", dir.resolve(name + "-ckpt").toString(), "--log-dir", dir.resolve(name + "-logs").toString(),
                "--export-params", dir.resolve(name + ".npy").toString(), "--summary-json", dir.resolve(name + ".json").toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** The same run in one piece, in this JVM, with no data plane: the defaults of `ringtrain local` (mlp, seed 1, B 256, sgd 0.05). */
    private static float[] uninterrupted(int steps) {
        Replica replica = Replica.create(ModelRegistry.create("mlp", 1), Optimizers.byName("sgd"), 1, 256);
        for (int s = 0; s < steps; s++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        return replica.state().flatParameters().toFloatVector();
    }

    /** The coordinator that runs the run: the cluster singleton lives on the oldest coordinator node. */
    private static ProcessHandle activeCoordinator(LocalRunUnderTest run) {
        return run.launcher.started("coordinator").stream()
                .min(Comparator.comparing(p -> p.info().startInstant().orElse(Instant.MAX)))
                .orElseThrow(() -> new AssertionError("no coordinator process is running"));
    }

    private static void awaitCoordinators(LocalRunUnderTest run, int count) throws InterruptedException {
        long deadline = System.nanoTime() + EVENT.toNanos();
        while (run.launcher.started("coordinator").size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fewer than " + count + " coordinator processes within " + EVENT);
            }
            run.launcher.process.waitFor(100, TimeUnit.MILLISECONDS);
        }
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void killedCoordinatorsAndKilledStoppedAndFrozenWorkersLoseNoStepsAndTheResultIsTheUninterruptedRuns() throws Exception {
        int steps = 450;
        try (LocalRunUnderTest run = new LocalRunUnderTest(RingtrainProcess.start(dir, "faults", local("faults", steps)))) {
            run.awaitOutput("training with 4 workers", 1, EVENT);
            awaitCoordinators(run, 2);
            run.awaitStep(20, EVENT);
            long paceFrom = System.nanoTime();
            long paceFromStep = run.lastStep().orElseThrow();

            long killedAt = System.nanoTime();
            LocalRunUnderTest.signal(activeCoordinator(run), "KILL");
            run.awaitOutput("coordinator-1 is gone (its process exited with status 137 (SIGKILL)); the standby takes the run over", 1, EVENT);
            run.awaitOutput(ADOPTED, 1, EVENT);
            double withStandby = (System.nanoTime() - killedAt) / 1e9;
            run.firstStepAfter(ADOPTED, EVENT);
            // coordinator-3, the new standby, is still starting: this time the run goes on with no coordinator at all
            // until it is up (the workers' coordinator-timeout is 60 s).
            long stepAtKill = run.lastStep().orElseThrow();
            double stepsPerSecond = (stepAtKill - paceFromStep) / ((System.nanoTime() - paceFrom) / 1e9);
            killedAt = System.nanoTime();
            LocalRunUnderTest.signal(activeCoordinator(run), "KILL");
            run.awaitOutput("coordinator-2 is gone", 1, EVENT);
            run.awaitOutput(ADOPTED, 2, EVENT);
            double restarted = (System.nanoTime() - killedAt) / 1e9;
            long stepAfter = run.firstStepAfter(ADOPTED, EVENT);
            System.out.printf(Locale.ROOT, "coordinator SIGKILL -> takeover (ring adopted): %.2f s with a standby, %.2f s with a restarted"
                    + " coordinator; steps %d -> %d meanwhile (%.1f steps/s before)%n", withStandby, restarted, stepAtKill, stepAfter, stepsPerSecond);
            // Stepping on while no coordinator is up, at least at half the pace before (a pause would show ~0).
            assertTrue(stepAfter - stepAtKill >= 0.5 * stepsPerSecond * restarted,
                    "the workers must keep stepping with no coordinator: " + stepAtKill + " -> " + stepAfter + " in " + restarted + " s");
            assertFalse(run.output().contains("ring re-formed"), "no membership change, so no new ring:\n" + run.output());

            LocalRunUnderTest.signal(run.worker("worker-2"), "KILL");
            run.awaitOutput("ring re-formed: generation 1 -> 2 (4 -> 3 workers)", 1, EVENT);
            run.awaitOutput("ring re-formed: generation 2 -> 3 (3 -> 4 workers)", 1, EVENT); // the replacement is back

            LocalRunUnderTest.signal(run.worker("worker-1"), "TERM");
            run.awaitOutput("ring re-formed: generation 3 -> 4 (4 -> 3 workers)", 1, EVENT);
            run.awaitOutput("ring re-formed: generation 4 -> 5 (3 -> 4 workers)", 1, EVENT);

            ProcessHandle frozen = run.worker("worker-3");
            LocalRunUnderTest.signal(frozen, "STOP");
            run.awaitOutput("ring re-formed: generation 5 -> 6 (4 -> 3 workers)", 1, EVENT);
            LocalRunUnderTest.signal(frozen, "CONT"); // it wakes fenced: its frames and messages belong to a past generation
            frozen.onExit().get(60, TimeUnit.SECONDS); // and, downed by the cluster, it exits (the launcher starts it again)

            assertEquals(0, run.awaitExit(Duration.ofMinutes(3)), run.output());
        }
        String summary = Files.readString(dir.resolve("faults.json"));
        List<String> changes = new ArrayList<>();
        Matcher m = CHANGE.matcher(summary);
        while (m.find()) {
            changes.add(m.group());
        }
        // The summary is the last coordinator's, which took over before any worker fault: it saw every change.
        assertTrue(changes.size() >= 5, "every membership change is in the summary:\n" + summary);
        // The killed worker is named lost by whichever signal reaches the coordinator first: the launcher's report of
        // its exit (which travels to a coordinator that took over only just before, found through the Receptionist)
        // or the data plane's peer timeout (1.5 s) as a survivor reports it.
        assertTrue(changes.stream().anyMatch(c -> c.contains("\"worker-2\": \"its process exited with status 137 (SIGKILL)\"")
                || c.contains("\"worker-2\": \"a peer saw it go")), summary);
        assertTrue(changes.stream().anyMatch(c -> c.contains("\"worker-1\": \"left: its process was asked to stop (SIGTERM)\"")
                && c.contains("\"stepsRedone\": 0")), summary);
        assertTrue(changes.stream().anyMatch(c -> c.contains("\"worker-3\": \"") && c.contains("(frozen, or cut off)")), summary);
        assertTrue(changes.stream().allMatch(c -> c.contains("\"stepsRedone\": 0")), "no step is ever redone:\n" + summary);
        double difference = ParameterDifference.maxRelative(uninterrupted(steps), NpyFile.read(dir.resolve("faults.npy")));
        System.out.printf(Locale.ROOT, "SIGKILL, SIGTERM and SIGSTOP during a 4-worker run vs the run in one piece: %.3g%n", difference);
        assertTrue(difference <= TOLERANCE, "the run with faults must end with the uninterrupted run's parameters, differs by " + difference);
    }
}
