package io.ringtrain.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Bad input is refused before anything starts, with exit code 2 and a message naming the flag and the fix. */
@Timeout(30)
class CliValidationTest {

    @TempDir
    Path dir;

    private final CliRunner cli = new CliRunner();

    private int local(String... flags) {
        List<String> args = new ArrayList<>(List.of("local", "--model", "toy", "--checkpoint-dir", dir.resolve("ckpt").toString(),
                "--log-dir", dir.resolve("logs").toString()));
        args.addAll(List.of(flags));
        return cli.run(args.toArray(String[]::new));
    }

    private void assertRefused(int exit, String expected) {
        assertEquals(RingtrainCli.EXIT_USAGE, exit, cli.err());
        assertTrue(cli.err().contains(expected), "expected '" + expected + "' in: " + cli.err());
        assertTrue(cli.err().contains("--help"), cli.err());
        assertTrue(Files.notExists(dir.resolve("logs")), "nothing may start on bad input");
    }

    @Test
    void zeroWorkersIsRefused() {
        assertRefused(local("--workers", "0"), "--workers must be at least 1, got 0");
    }

    @Test
    void globalBatchSmallerThanTheWorkersIsRefused() {
        assertRefused(local("--workers", "4", "--global-batch", "3"),
                "--global-batch 3 is smaller than --workers 4: every worker needs at least one sample per step");
    }

    @Test
    void unknownModelIsRefusedNamingTheKnownOnes() {
        assertRefused(local("--model", "resnet"), "unknown model 'resnet'; known models: toy");
    }

    @Test
    void unknownOptimizerIsRefused() {
        assertRefused(local("--optimizer", "nadam"), "--optimizer must be one of sgd, adam, adamw, adamax, amsgrad, rmsprop, adagrad, got 'nadam'");
    }

    @Test
    void zeroStepsAreRefused() {
        assertRefused(local("--steps", "0"), "--steps must be at least 1, got 0");
    }

    @Test
    void badDurationIsRefused() {
        assertRefused(local("--progress-interval", "often"), "'often' is not a duration");
    }

    @Test
    void unknownFlagIsRefused() {
        assertRefused(local("--wrokers", "2"), "Unknown options: '--wrokers'");
    }

    @Test
    void checkpointDirectoryThatCannotBeCreatedIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");

        assertRefused(local("--checkpoint-dir", file.resolve("ckpt").toString()), "cannot create directory " + file.resolve("ckpt"));
    }

    @Test
    void unknownCheckpointSchemeIsRefused() {
        assertRefused(local("--checkpoint-dir", "ftp://host/ckpt"), "unknown scheme 'ftp'; use a path, file:///path or s3://bucket/prefix");
    }

    @Test
    void coordinatorPortInUseIsRefused() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();

            assertRefused(local("--coordinator-port", Integer.toString(port)),
                    "--coordinator-port " + port + ": cannot listen on 127.0.0.1:" + port);
        }
    }

    @Test
    void exportToAMissingDirectoryIsRefused() {
        assertRefused(local("--export-params", dir.resolve("no/such/dir/w.npy").toString()), "does not exist or is not writable");
    }

    @Test
    void workerWithoutACoordinatorAddressIsRefused() {
        assertEquals(RingtrainCli.EXIT_USAGE, cli.run("worker", "--port", "0"));
        assertTrue(cli.err().contains("--join is required with local bootstrap"), cli.err());
    }

    @Test
    void workerDataPortInUseIsRefused() throws Exception {
        try (var taken = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            int port = taken.getLocalPort();

            assertEquals(RingtrainCli.EXIT_USAGE, cli.run("worker", "--port", "0", "--join", "127.0.0.1:1", "--data-port", Integer.toString(port)));
            assertTrue(cli.err().contains("--data-port " + port + ": cannot listen on UDP 127.0.0.1:" + port), cli.err());
        }
    }

    @Test
    void helpShowsEveryLocalFlagWithItsDefault() {
        assertEquals(0, cli.run("local", "--help"));

        for (String flag : List.of("--workers", "--steps", "--global-batch", "--seed", "--model", "--checkpoint-dir",
                "--checkpoint-every", "--resume", "--export-params", "--summary-json", "--optimizer", "--lr")) {
            assertTrue(cli.out().contains(flag), flag + " missing from: " + cli.out());
        }
        assertTrue(cli.out().contains("Worker processes. Default: 4"), cli.out());
        assertTrue(cli.out().contains("Default: 256"), cli.out());
    }
}
