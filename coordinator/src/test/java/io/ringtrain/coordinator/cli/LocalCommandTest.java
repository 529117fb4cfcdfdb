package io.ringtrain.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.checkpoint.CheckpointTools;
import io.ringtrain.checkpoint.Listing;
import io.ringtrain.coordinator.toy.ToyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `ringtrain local` with real worker JVMs (the toy model, found through META-INF/services in the test class path). */
class LocalCommandTest {

    @TempDir
    Path dir;

    private final CliRunner cli = new CliRunner();

    private String[] local(String... more) {
        return Stream.concat(Stream.of("local", "--model", "toy", "--workers", "2", "--global-batch", "16",
                "--checkpoint-dir", dir.resolve("ckpt").toString(), "--log-dir", dir.resolve("logs").toString(),
                "--progress-interval", "300ms"), Stream.of(more)).toArray(String[]::new);
    }

    @Test
    @Timeout(90)
    void trainsWithWorkerProcessesShowsProgressAndWritesTheSummary() throws Exception {
        Path summary = dir.resolve("summary.json");

        int exit = cli.run(local("--steps", "60", "--checkpoint-every", "20", "-O", "step-millis=25",
                "--summary-json", summary.toString(), "--export-params", dir.resolve("w.txt").toString()));

        assertEquals(0, exit, cli.out() + cli.err());
        assertTrue(cli.out().contains("ring generation 1: worker-0, worker-1"), cli.out());
        assertTrue(cli.out().lines().anyMatch(l -> l.startsWith("step ") && l.contains("samples/s") && l.contains("ETA")), cli.out());
        assertTrue(cli.out().contains("run default finished: 60 steps with 2 workers"), cli.out());
        String json = Files.readString(summary);
        assertTrue(json.contains("\"steps\": 60,") && json.contains("\"worldSize\": 2,") && json.contains("\"checkpointsCommitted\": 3,"), json);
        // The coordinator runs in a JVM of its own: what it committed is what the store holds.
        assertEquals(List.of(20L, 40L, 60L), CheckpointTools.ls(dir.resolve("ckpt").toString()).runs().get(0).steps().stream()
                .filter(Listing.StepStatus::valid).map(Listing.StepStatus::step).toList());
        // Same parameter as the toy model trained in one piece here (seed 1 and lr 0.05 are the configured defaults).
        assertEquals(ToyModel.train(1, 16, 0.05, 60), Double.parseDouble(Files.readString(dir.resolve("w.txt"))), 0.0);
        try (Stream<Path> runs = Files.list(dir.resolve("logs"))) {
            Path runDir = runs.findFirst().orElseThrow();
            assertTrue(Files.readString(runDir.resolve("worker-1.log")).contains("training generation 1 from step 0 to 60"));
        }
        assertEquals(0, ProcessHandle.current().children().filter(ProcessHandle::isAlive).count(), "no worker or coordinator may outlive the run");

        CliRunner tools = new CliRunner();
        assertEquals(0, tools.run("checkpoint", "ls", dir.resolve("ckpt").toString()));
        assertTrue(tools.out().contains("run default") && tools.out().lines().anyMatch(l -> l.contains("step 60") && l.contains("ok")), tools.out());
        assertEquals(0, tools.run("checkpoint", "verify", dir.resolve("ckpt").resolve("default").toString()));
        assertTrue(tools.out().contains("PASS: 2 shard(s) intact"), tools.out());
    }

    @Test
    @Timeout(120)
    void aWorkerProcessThatDiesIsStartedAgainAndTheRunEndsWithTheExactResult() throws Exception {
        // worker-1's process halts (status 3) at step 5; its replacement takes over from a later step, so it does not.
        int exit = cli.run(local("--steps", "80", "-O", "halt-at-step=5", "-O", "halt-worker=worker-1", "-O", "step-millis=20", "--min-workers", "1",
                "--export-params", dir.resolve("w.txt").toString()));

        assertEquals(0, exit, cli.out() + cli.err());
        assertTrue(cli.out().contains("is gone (its process exited with status 3); starting it again (restart 1 of 3)"), cli.out());
        assertTrue(cli.out().contains("ring re-formed: generation 1 -> 2"), cli.out());
        assertEquals(ToyModel.train(1, 16, 0.05, 80), Double.parseDouble(Files.readString(dir.resolve("w.txt"))), 0.0);
        assertEquals(0, ProcessHandle.current().children().filter(ProcessHandle::isAlive).count(), "no worker or coordinator may outlive the run");
    }

    @Test
    @Timeout(120)
    void withoutRestartsAndBelowMinWorkersTheRunFailsShowingTheLastLogLines() {
        int exit = cli.run(local("--steps", "100000", "-O", "halt-at-step=5", "-O", "halt-worker=worker-1", "-O", "step-millis=20",
                "--min-workers", "2", "--max-restarts", "0", "--rendezvous-timeout", "10s"));

        assertEquals(RingtrainCli.EXIT_FAILED, exit, cli.out() + cli.err());
        assertTrue(cli.err().contains("not restarting it: --max-restarts 0 used up"), cli.err());
        assertTrue(cli.err().contains("run failed: the run paused at a step boundary and did not get 2 workers within 10 s"), cli.err());
        assertTrue(cli.err().lines().anyMatch(l -> l.startsWith("last lines of ") && l.contains("worker-")), cli.err());
        assertTrue(cli.err().lines().anyMatch(l -> l.startsWith("  | ") && l.contains("INFO")), "the failed worker's log lines: " + cli.err());
        assertEquals(0, ProcessHandle.current().children().filter(ProcessHandle::isAlive).count(), "no worker or coordinator may outlive the run");
    }

    /** Where a finished run with more --steps resumes is CoordinatorProtocolTest's; restoring from it, ClusterRunTest's. */
    @Test
    @Timeout(150)
    void resumeAutoStartsFreshThenNeverTrainsAFinishedRunAgain() throws Exception {
        // Nothing under the checkpoint location yet: starts at step 0.
        int exit = cli.run(local("--steps", "40", "--checkpoint-every", "20", "--resume", "auto", "-O", "step-millis=10"));
        assertEquals(0, exit, cli.out() + cli.err());
        assertTrue(cli.out().contains("training with 2 workers from step 0"), cli.out());

        // Finished: a coordinator started again (a restarted pod) does not train it again.
        CliRunner again = new CliRunner();
        exit = again.run(local("--steps", "40", "--checkpoint-every", "20", "--resume", "auto", "-O", "step-millis=10"));
        assertEquals(0, exit, again.out() + again.err());
        assertTrue(again.out().contains("not training it again: run default finished after 40 steps"), again.out());
        assertFalse(again.out().contains("training with"), again.out());

        assertEquals(0, ProcessHandle.current().children().filter(ProcessHandle::isAlive).count(), "no worker or coordinator may outlive the run");
    }
}
