package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.common.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Transient S3 failures are ridden out within the retry budget; a lasting outage fails clearly and loses nothing. */
@Timeout(60)
class S3RetryTest extends StoreTestBase {
    private static final String RUN = "run1";
    private FlakyProxy proxy;
    private String bucket;
    private final ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 60);

    @BeforeEach
    void startProxy() throws IOException {
        proxy = new FlakyProxy(s3.port());
        bucket = s3.newBucket();
    }

    @AfterEach
    void stopProxy() throws IOException {
        proxy.close();
    }

    private Checkpoints throughProxy(Duration retryBudget) {
        String uri = "s3://" + bucket + "/ckpt?endpoint=" + proxy.endpoint();
        return Checkpoints.open(S3Store.open(S3Server.context(uri).retryBudget(retryBudget)), new Checkpoints.Context());
    }

    private void assertSaveCommitAndRestoreSucceed(Checkpoints checkpoints, long step) {
        TestStates.saveAndCommit(checkpoints, RUN, step, 4, state);
        assertSameBytes(state, checkpoints.restore(checkpoints.latest(RUN).orElseThrow()), "restored through the proxy");
    }

    @Test
    void slowDownAnswersAreRetried() {
        try (Checkpoints checkpoints = throughProxy(Duration.ofSeconds(20))) {
            proxy.slowDownNext(4);
            assertSaveCommitAndRestoreSucceed(checkpoints, 1);
            assertEquals(4, proxy.faultsServed.get());
        }
    }

    @Test
    void connectionResetsAreRetried() {
        try (Checkpoints checkpoints = throughProxy(Duration.ofSeconds(20))) {
            proxy.resetNext(4);
            assertSaveCommitAndRestoreSucceed(checkpoints, 1);
            assertEquals(4, proxy.faultsServed.get());
        }
    }

    @Test
    void saveRidesOutAServerOutage() {
        try (Checkpoints checkpoints = throughProxy(Duration.ofSeconds(30));
             ShardWriter writer = checkpoints.writer(RUN)) {
            StateLayout layout = StateLayout.of(TestStates.spec("big", Dtype.DTYPE_FLOAT32, 3, 1 << 20));
            ByteBuffer big = TestStates.random(layout.totalBytes(), 62);
            proxy.goDown();
            // 12 MiB from one rank: a multipart upload of three 5 MiB-or-less parts, each retried on its own.
            CompletableFuture<ShardReport> save = writer.saveShardAsync(1, 0, 1, big);
            Await.until(() -> proxy.faultsServed.get() >= 3, Duration.ofSeconds(20), "three failed attempts during the outage");
            assertFalse(save.isDone(), "save gave up during a short outage");
            proxy.comeBack();

            checkpoints.commit(TestStates.draft(RUN, 1, 1, layout).build(), List.of(save.join()));
            assertSameBytes(big, checkpoints.restore(checkpoints.latest(RUN).orElseThrow()), "restored after the outage");
        }
    }

    @Test
    void lastingOutageFailsTheSaveWithinTheBudgetAndKeepsThePreviousCheckpoint() {
        try (Checkpoints checkpoints = throughProxy(Duration.ofSeconds(2))) {
            TestStates.saveAndCommit(checkpoints, RUN, 1, 4, state);
            proxy.goDown();
            long start = System.nanoTime();
            try (ShardWriter writer = checkpoints.writer(RUN)) {
                CompletionException failure = assertThrows(CompletionException.class,
                        () -> writer.saveShardAsync(2, 0, 4, TestStates.random(state.remaining(), 61)).join());
                long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(elapsedMs < 2_000 + 5_000, "gave up after " + elapsedMs + " ms with a 2 s budget");
                assertInstanceOf(CheckpointException.class, failure.getCause());
                String message = failure.getCause().getMessage();
                assertTrue(message.contains("PUT s3://" + bucket + "/ckpt/run1/step-000000000002/shard-0-of-4.bin")
                        && message.contains("attempt(s)") && message.contains("retry budget 2.0 s"), message);
            }
            proxy.comeBack();
            assertEquals(1, checkpoints.latest(RUN).orElseThrow().getStep());
            assertSameBytes(state, checkpoints.restore(checkpoints.latest(RUN).orElseThrow()), "previous checkpoint");
        }
    }
}
