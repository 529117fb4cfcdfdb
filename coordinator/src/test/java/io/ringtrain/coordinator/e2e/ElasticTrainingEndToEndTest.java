package io.ringtrain.coordinator.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.NpyFile;
import io.ringtrain.worker.model.ParameterDifference;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Sgd;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.Replica;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Elastic training for real: `ringtrain local` with four worker JVMs over Aeron, and faults injected with real
 * signals. Whatever happens to the workers, a run ends with the parameters of the same run done in one piece
 * (the global batch is re-split over whoever is in the ring), within 1e-5 (max|a-b| / max|a|).
 */
class ElasticTrainingEndToEndTest {
    private static final Duration EVENT = Duration.ofSeconds(90);
    private static final double TOLERANCE = 1e-5;
    private static final Pattern CHANGE = Pattern.compile("\\{\"fromGeneration\": (\\d+), \"toGeneration\": (\\d+)[^\\n]*");

    @TempDir
    Path dir;

    private String[] local(String name, int steps, String... more) {
        List<String> args = new ArrayList<>(List.of("local", "--workers", "4", "--steps", Integer.toString(steps),
                "--checkpoint-every", "100", "--progress-interval", "500ms", "--max-restarts", "4",
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
        Replica replica = Replica.create(ModelRegistry.create("mlp", 1, new Sgd(0.05, 0.9, 0.0)), 1, 256);
        for (int s = 0; s < steps; s++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        return replica.state().flatParameters().toFloatVector();
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void killedStoppedAndFrozenWorkersLoseNoStepsAndTheResultIsTheUninterruptedRuns() throws Exception {
        int steps = 450;
        try (LocalRunUnderTest run = new LocalRunUnderTest(RingtrainProcess.start(dir, "faults", local("faults", steps)))) {
            run.awaitOutput("training with 4 workers", 1, EVENT);
            run.awaitStep(30, EVENT);

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
        assertTrue(changes.size() >= 5, "every membership change is in the summary:\n" + summary);
        assertTrue(changes.stream().anyMatch(c -> c.contains("\"worker-2\": \"its process exited with status 137 (SIGKILL)\"")), summary);
        assertTrue(changes.stream().anyMatch(c -> c.contains("\"worker-1\": \"left: its process was asked to stop (SIGTERM)\"")
                && c.contains("\"stepsRedone\": 0")), summary);
        assertTrue(changes.stream().anyMatch(c -> c.contains("\"worker-3\": \"") && c.contains("(frozen, or cut off)")), summary);
        assertTrue(changes.stream().allMatch(c -> c.contains("\"stepsRedone\": 0")), "no step is ever redone:\n" + summary);
        double difference = ParameterDifference.maxRelative(uninterrupted(steps), NpyFile.read(dir.resolve("faults.npy")));
        System.out.printf(Locale.ROOT, "SIGKILL, SIGTERM and SIGSTOP during a 4-worker run vs the run in one piece: %.3g%n", difference);
        assertTrue(difference <= TOLERANCE, "the run with faults must end with the uninterrupted run's parameters, differs by " + difference);
    }
}
