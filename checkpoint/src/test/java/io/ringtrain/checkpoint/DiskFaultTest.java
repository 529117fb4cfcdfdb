package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint directory on a real file system that runs out of room, or goes read-only (as Linux remounts one after
 * I/O errors), during a save: the save fails saying where and how much room is left, the previous checkpoint stays
 * whole and is what a resume restores. Each test mounts a small tmpfs of its own; where mounting is not permitted
 * (not root, or a container without CAP_SYS_ADMIN) the tests are skipped, saying so.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiskFaultTest {
    private static final String RUN = "run1";

    @TempDir
    Path temp;
    private Path mount;

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            run("umount", "-l", mount.toString());
        }
    }

    @Test
    void aSaveThatFillsTheDiskFailsNamingThePathAndFreeSpaceAndTheLastCheckpointRestores() throws Exception {
        Path dir = mountTmpfs("size=6m").resolve("ckpt"); // room for one 4 MiB checkpoint, not two
        ByteBuffer first = TestStates.random(TestStates.LAYOUT.totalBytes(), 1);
        try (Checkpoints checkpoints = Checkpoints.open(CheckpointStore.open(dir.toString()), new Checkpoints.Context())) {
            TestStates.saveAndCommit(checkpoints, RUN, 100, 2, first);
            ByteBuffer second = TestStates.random(TestStates.LAYOUT.totalBytes(), 2);
            CheckpointException full = assertThrows(CheckpointException.class,
                    () -> TestStates.saveAndCommit(checkpoints, RUN, 200, 2, second));
            String message = full.getMessage();
            assertTrue(message.contains("cannot write " + dir.resolve("run1/step-000000000200/shard-1-of-2.bin"))
                    && message.contains("No space left on device") && message.matches("(?s).*has \\d+\\.\\d MiB free of 6\\.0 MiB.*")
                    && message.contains("free space there or choose another checkpoint directory"), message);
            assertEquals(100, checkpoints.latest(RUN).orElseThrow().getStep(), "the failed save committed nothing");
            assertEquals(0, hiddenTemporaries(dir), "the half-written file is removed");
        }
        assertResumesFrom(dir, 100, first);
    }

    @Test
    void aDirectoryRemountedReadOnlyMidRunFailsTheSaveSayingSoAndTheLastCheckpointRestores() throws Exception {
        Path fs = mountTmpfs("size=16m");
        Path dir = fs.resolve("ckpt");
        ByteBuffer first = TestStates.random(TestStates.LAYOUT.totalBytes(), 3);
        try (Checkpoints checkpoints = Checkpoints.open(CheckpointStore.open(dir.toString()), new Checkpoints.Context())) {
            TestStates.saveAndCommit(checkpoints, RUN, 100, 2, first);
            run("mount", "-o", "remount,ro", fs.toString());
            CheckpointException readOnly = assertThrows(CheckpointException.class,
                    () -> TestStates.saveAndCommit(checkpoints, RUN, 200, 2, TestStates.random(TestStates.LAYOUT.totalBytes(), 4)));
            String message = readOnly.getMessage();
            assertTrue(message.contains("cannot write " + dir.resolve("run1/step-000000000200"))
                    && message.contains("Read-only file system") && message.contains("remount it read-write"), message);
            assertEquals(100, checkpoints.latest(RUN).orElseThrow().getStep());
        }
        assertResumesFrom(dir, 100, first);
        CheckpointException atStart = assertThrows(CheckpointException.class, () -> CheckpointStore.open(dir.toString()));
        assertTrue(atStart.getMessage().contains("is not writable") && atStart.getMessage().contains("Read-only file system"),
                "a run that would save there is refused when it opens the store: " + atStart.getMessage());
    }

    /** What a resuming run does: open the directory afresh and restore the newest checkpoint. */
    private static void assertResumesFrom(Path dir, long step, ByteBuffer expected) {
        try (Checkpoints again = Checkpoints.open(CheckpointStore.openExisting(dir.toString()), new Checkpoints.Context())) {
            CheckpointManifest newest = again.latest(RUN).orElseThrow();
            assertEquals(step, newest.getStep());
            assertSameBytes(expected, again.restore(newest), "the checkpoint a resume restores");
            assertTrue(again.verify(newest).passed(), "every shard of it verifies");
        }
    }

    private static long hiddenTemporaries(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    private Path mountTmpfs(String options) throws Exception {
        Path dir = Files.createDirectory(temp.resolve("tmpfs"));
        Result r = run("mount", "-t", "tmpfs", "-o", options, "ringtrain-test", dir.toString());
        Assumptions.assumeTrue(r.code == 0, "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): " + r.output);
        mount = dir;
        return dir;
    }

    private record Result(int code, String output) {
    }

    private static Result run(String... command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, String.join(" ", command) + " did not finish within 20 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
    }
}
