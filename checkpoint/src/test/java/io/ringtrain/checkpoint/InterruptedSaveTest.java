package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A writer process killed with SIGKILL between shards leaves the previous checkpoint as latest, intact. */
@Timeout(90)
class InterruptedSaveTest extends StoreTestBase {
    private static final String RUN = "run1";

    @ParameterizedTest
    @EnumSource(Backend.class)
    void saveKilledBetweenShardsLeavesThePreviousCheckpointLatest(Backend backend) throws Exception {
        String root = newRootUri(backend);
        long stateBytes = TestStates.LAYOUT.totalBytes();
        ByteBuffer committedState = TestStates.random(stateBytes, 50);
        try (Checkpoints checkpoints = open(backend, root)) {
            TestStates.saveAndCommit(checkpoints, RUN, 100, 4, committedState);
        }

        Process writer = startWriter(backend, root, 200, 4, stateBytes, 51, 2);
        try {
            BlockingQueue<String> lines = readLines(writer);
            assertEquals("SAVED 0", lines.poll(30, TimeUnit.SECONDS));
            assertEquals("SAVED 1", lines.poll(30, TimeUnit.SECONDS));
            assertEquals("PAUSED", lines.poll(30, TimeUnit.SECONDS));
        } finally {
            writer.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no cleanup
            assertTrue(writer.waitFor(20, TimeUnit.SECONDS), "killed writer did not exit");
        }
        assertEquals(137, writer.exitValue(), "writer died of SIGKILL");

        try (Checkpoints checkpoints = open(backend, root)) {
            assertEquals(2, checkpoints.store().list(CheckpointKeys.stepDirectory(RUN, 200) + "/").size(), "two shards of step 200 written");
            assertEquals(100, checkpoints.latest(RUN).orElseThrow().getStep());
            assertSameBytes(committedState, checkpoints.restore(checkpoints.latest(RUN).orElseThrow()), "previous checkpoint");
            Listing listing = CheckpointTools.ls(at(root, RUN), opener(backend));
            assertFalse(listing.runs().get(0).steps().get(1).valid());

            TestStates.saveAndCommit(checkpoints, RUN, 300, 4, committedState);
            assertTrue(checkpoints.store().list(CheckpointKeys.stepDirectory(RUN, 200) + "/").isEmpty(),
                    "the interrupted step's shards are removed after a newer commit");
        }
    }

    private static Process startWriter(Backend backend, String root, long step, int worldSize, long stateBytes, long seed,
                                       int ranksBeforePause) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                InterruptedSaveMain.class.getName(), root, RUN, Long.toString(step), Integer.toString(worldSize),
                Long.toString(stateBytes), Long.toString(seed), Integer.toString(ranksBeforePause)));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (backend == Backend.S3) {
            builder.environment().put("AWS_ACCESS_KEY_ID", S3Server.IDENTITY);
            builder.environment().put("AWS_SECRET_ACCESS_KEY", S3Server.SECRET);
            builder.environment().put("AWS_REGION", "us-east-1");
        }
        return builder.start();
    }

    private static BlockingQueue<String> readLines(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("writer: ")) {
                        lines.add(line.substring("writer: ".length()));
                    }
                }
            } catch (IOException ignored) {
                // The process was killed.
            }
        }, "writer-stdout");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }
}
