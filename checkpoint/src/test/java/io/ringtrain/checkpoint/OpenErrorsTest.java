package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** A bad location fails when the store is opened, before any training, saying what to fix. */
@Timeout(60)
class OpenErrorsTest {
    private static S3Server s3;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() {
        s3 = S3Server.start();
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static String openError(String uri) {
        return assertThrows(CheckpointException.class, () -> CheckpointStore.open(uri).close()).getMessage();
    }

    @Test
    void unknownSchemeIsRejectedListingTheSupportedOnes() {
        String message = openError("gs://bucket/ckpt");
        assertTrue(message.contains("unknown scheme 'gs'") && message.contains("file:///absolute/path")
                && message.contains("s3://bucket/prefix"), message);
    }

    @Test
    void fileUriWithAHostIsRejected() {
        assertTrue(openError("file://server/ckpt").contains("three slashes"));
    }

    @Test
    void directoryUnderARegularFileIsRejected() throws IOException {
        Path file = Files.writeString(temp.resolve("not-a-dir"), "x");
        String message = openError(file.resolve("ckpt").toString());
        assertTrue(message.contains(file.toString()) && message.toLowerCase().contains("not a directory"), message);
    }

    @Test
    void unwritableDirectoryIsRejected() throws IOException {
        Path readOnly = Files.createDirectory(temp.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        // Root ignores permission bits; sysfs refuses new entries even to root.
        Path target = Files.isWritable(readOnly) ? Path.of("/sys/ringtrain-test-" + System.nanoTime()) : readOnly.resolve("ckpt");
        try {
            String message = openError(target.toString());
            assertTrue(message.contains(target.toString())
                    && (message.contains("cannot create checkpoint directory") || message.contains("is not writable")), message);
        } finally {
            Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void missingBucketIsRejectedWithHowToCreateIt() {
        String uri = "s3://no-such-bucket/ckpt?endpoint=" + s3.endpoint();
        String message = assertThrows(CheckpointException.class, () -> S3Store.open(S3Server.context(uri))).getMessage();
        assertTrue(message.contains("bucket 'no-such-bucket' at " + s3.endpoint() + " does not exist")
                && message.contains("aws s3 mb s3://no-such-bucket"), message);
    }

    @Test
    void wrongCredentialsAreRejectedAsAccessDenied() {
        String uri = "s3://" + s3.newBucket() + "/ckpt?endpoint=" + s3.endpoint();
        S3StoreContext context = S3Server.context(uri)
                .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Server.IDENTITY, "wrong-secret")));
        String message = assertThrows(CheckpointException.class, () -> S3Store.open(context)).getMessage();
        assertTrue(message.contains("denied") && message.contains("credentials"), message);
    }

    @Test
    void unreachableEndpointFailsWithinTheRetryBudgetNamingEndpointAndCause() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String uri = "s3://bucket/ckpt?endpoint=http://127.0.0.1:" + closedPort;
        S3StoreContext context = S3Server.context(uri).retryBudget(Duration.ofSeconds(2));
        long start = System.nanoTime();
        String message = assertThrows(CheckpointException.class, () -> S3Store.open(context)).getMessage();
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertTrue(elapsedMs < 2_000 + 5_000, "took " + elapsedMs + " ms with a 2 s retry budget");
        assertTrue(message.contains("bucket 'bucket' at http://127.0.0.1:" + closedPort) && message.contains("attempt(s)")
                && message.contains("retry budget 2.0 s") && message.toLowerCase().contains("connect"), message);
    }
}
