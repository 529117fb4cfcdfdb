package io.ringtrain.coordinator.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.NpyFile;
import io.ringtrain.worker.model.ParameterDifference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job for real: `ringtrain local` training the built-in MLP with worker JVMs talking over Aeron.
 * A run's result must not depend on how many workers took part, and a run killed with SIGKILL and resumed
 * must end where an uninterrupted one does.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainingEndToEndTest {
    private static final Pattern ACCURACY = Pattern.compile("\"heldOutAccuracy\": ([0-9.]+)");

    @TempDir
    static Path dir;

    private static String[] local(int workers, String name, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("local", "--workers", Integer.toString(workers),
                "--checkpoint-dir", dir.resolve(name + "-ckpt").toString(), "--log-dir", dir.resolve(name + "-logs").toString(),
                "--export-params", dir.resolve(name + ".npy").toString(), "--summary-json", dir.resolve(name + ".json").toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** The equivalence measure of {@link ParameterDifference}: max|a-b| / max|a|. */
    static double relativeDifference(float[] a, float[] b) {
        return ParameterDifference.maxRelative(a, b);
    }

    @Test
    @Order(1)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void defaultRunLearns() throws Exception {
        int exit = RingtrainProcess.run(dir, "w4", 170, local(4, "w4"));
        String summary = Files.readString(dir.resolve("w4.json"));
        assertEquals(0, exit, Files.readString(dir.resolve("w4.out")) + Files.readString(dir.resolve("w4.err")));
        Matcher m = ACCURACY.matcher(summary);
        assertTrue(m.find(), summary);
        double accuracy = Double.parseDouble(m.group(1));
        System.out.printf(Locale.ROOT, "default run (4 workers, 300 steps): held-out accuracy %.4f (chance 0.10)%n", accuracy);
        assertTrue(accuracy > 0.75, "the MLP must learn well above chance (10 classes), got " + accuracy);
        assertTrue(summary.contains("\"checkpointsCommitted\": 6"), summary);
    }

    @Test
    @Order(2)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void resultDoesNotDependOnTheNumberOfWorkers() throws Exception {
        float[] four = NpyFile.read(dir.resolve("w4.npy"));
        // One against four here, with worker JVMs over Aeron; every world size from 1 to 4 in one process in
        // WorldSizeIndependenceTest.
        for (int workers : new int[] {1}) {
            String name = "w" + workers;
            int exit = RingtrainProcess.run(dir, name, 170, local(workers, name));
            assertEquals(0, exit, Files.readString(dir.resolve(name + ".err")));
            double diff = relativeDifference(four, NpyFile.read(dir.resolve(name + ".npy")));
            System.out.printf(Locale.ROOT, "%d workers vs 4: parameters differ by %.3g (max|a-b|/max|a|)%n", workers, diff);
            assertTrue(diff <= 1e-5, workers + " workers must match 4 within 1e-5, got " + diff);
        }
    }

    @Test
    @Order(3)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void runKilledWithSigkillResumesToTheSameParameters() throws Exception {
        Path manifest = dir.resolve("killed-ckpt").resolve("default").resolve("step-000000000100").resolve("MANIFEST");
        List<ProcessHandle> children;
        long launcher;
        // Two workers killed and resumed, compared with the four-worker run: the result does not depend on the world
        // size (the previous test), and two worker JVMs on this 2-core machine take half the time of four.
        try (RingtrainProcess run = RingtrainProcess.start(dir, "killed", local(2, "killed"))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (!Files.exists(manifest) && run.process.isAlive() && System.nanoTime() < deadline) {
                run.process.waitFor(50, TimeUnit.MILLISECONDS);
            }
            assertTrue(Files.exists(manifest), "checkpoint 100 was never committed:\n" + run.output());
            children = java.util.stream.Stream.concat(run.started("worker").stream(), run.started("coordinator").stream()).toList();
            assertEquals(3, children.size(), "two worker JVMs and the coordinator's");
            assertTrue(run.process.isAlive(), "the run must still be going when it is killed");
            launcher = run.process.pid();
            run.process.destroyForcibly(); // SIGKILL: no shutdown hook runs in the launcher
            run.process.waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle child : children) {
            child.onExit().get(30, TimeUnit.SECONDS); // they watch the launcher's pid
        }
        for (ProcessHandle child : children) {
            assertEquals(List.of(), RingtrainProcess.driverDirectoriesLeftBy(child.pid()), "process " + child.pid() + " left Aeron files behind");
        }

        int exit = RingtrainProcess.run(dir, "resumed", 170,
                local(2, "resumed", "--resume", "--checkpoint-dir", dir.resolve("killed-ckpt").toString()));
        String output = Files.readString(dir.resolve("resumed.out")) + Files.readString(dir.resolve("resumed.err"));
        assertEquals(0, exit, output);
        Matcher start = Pattern.compile("\"startStep\": (\\d+)").matcher(Files.readString(dir.resolve("resumed.json")));
        assertTrue(start.find() && Long.parseLong(start.group(1)) >= 100, "must resume from a committed checkpoint, not step 0: " + output);
        double diff = relativeDifference(NpyFile.read(dir.resolve("w4.npy")), NpyFile.read(dir.resolve("resumed.npy")));
        System.out.printf(Locale.ROOT, "killed at step >= 100 and resumed vs uninterrupted: parameters differ by %.3g%n", diff);
        assertTrue(diff <= 1e-5, "a resumed run must end with the uninterrupted run's parameters, differ by " + diff);
        // SIGKILL left the launcher's shared media driver directory behind; the next run's driver removed it.
        assertEquals(List.of(), RingtrainProcess.driverDirectoriesLeftBy(launcher), "the killed launcher's Aeron files are still there");
    }

    @Test
    @Order(4)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void interruptStopsEveryProcessAndLeavesNothingBehind() throws Exception {
        List<ProcessHandle> children;
        long launcher;
        int exit;
        try (RingtrainProcess run = RingtrainProcess.start(dir, "interrupted", local(2, "interrupted", "--steps", "1000000"))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(run.out).contains("training with") && run.process.isAlive() && System.nanoTime() < deadline) {
                run.process.waitFor(100, TimeUnit.MILLISECONDS);
            }
            assertTrue(run.process.isAlive(), "the run must be training when it is interrupted:\n" + run.output());
            assertEquals(2, run.started("worker").size(), "one JVM per worker");
            assertEquals(1, run.started("coordinator").size(), "the coordinator in a JVM of its own");
            children = run.process.descendants().toList();
            launcher = run.process.pid();
            run.process.destroy(); // SIGTERM, as Ctrl-C's SIGINT: shutdown hooks run
            assertTrue(run.process.waitFor(60, TimeUnit.SECONDS), "the launcher must exit promptly after an interrupt");
            exit = run.process.exitValue();
        }
        assertTrue(exit != 0, "an interrupted run must not report success (the JVM exits 143 after SIGTERM)");
        for (ProcessHandle child : children) {
            child.onExit().get(30, TimeUnit.SECONDS);
            assertEquals(List.of(), RingtrainProcess.driverDirectoriesLeftBy(child.pid()), "process " + child.pid() + " left Aeron files behind");
        }
        assertEquals(List.of(), RingtrainProcess.driverDirectoriesLeftBy(launcher), "the launcher left its shared driver's files behind");
    }
}
