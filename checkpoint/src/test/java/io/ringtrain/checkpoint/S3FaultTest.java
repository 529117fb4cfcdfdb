package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.checkpoint.FlakyProxy.Answer;
import io.ringtrain.checkpoint.FlakyProxy.Request;
import io.ringtrain.checkpoint.FlakyProxy.ResetAfterRequestBytes;
import io.ringtrain.checkpoint.FlakyProxy.ResetAfterResponseBytes;
import io.ringtrain.checkpoint.FlakyProxy.Rule;
import io.ringtrain.checkpoint.FlakyProxy.Stall;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.common.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each S3 failure the README names, injected into one request through a real proxy in front of a real S3 server:
 * what is transient (500, 429, a read timeout, a reset mid-body, mid-upload) is retried, that request alone, and the
 * bytes come back whole; what is permanent (403, 404) fails at the first answer; a multipart upload that fails is
 * aborted, not left behind to be billed. And mid-run, after checkpoints were committed: credentials revoked, the
 * bucket deleted.
 */
@Timeout(60)
class S3FaultTest extends StoreTestBase {
    private static final String RUN = "run1";
    private static final String SHARD_0 = "/ckpt/run1/step-000000000001/shard-0-of-4.bin";
    private static final String BIG_SHARD = "/ckpt/run1/step-000000000001/shard-0-of-1.bin";
    /** 12 MiB: a multipart upload of three parts of at most 5 MiB (the test part size, S3's minimum). */
    private static final StateLayout BIG = StateLayout.of(TestStates.spec("big", Dtype.DTYPE_FLOAT32, 3, 1 << 20));

    private FlakyProxy proxy;
    private String bucket;
    private final ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 70);

    @BeforeEach
    void startProxy() throws IOException {
        proxy = new FlakyProxy(s3.port());
        bucket = s3.newBucket();
    }

    @AfterEach
    void stopProxy() throws IOException {
        proxy.close();
    }

    private Checkpoints throughProxy(UnaryOperator<S3StoreContext> settings) {
        String uri = "s3://" + bucket + "/ckpt?endpoint=" + proxy.endpoint();
        return Checkpoints.open(S3Store.open(settings.apply(S3Server.context(uri).retryBudget(Duration.ofSeconds(20)))),
                new Checkpoints.Context());
    }

    private Checkpoints throughProxy() {
        return throughProxy(UnaryOperator.identity());
    }

    private int count(java.util.function.Predicate<Request> match) {
        return proxy.requests(match).size();
    }

    @Test
    void internalServerErrorsOnAShardPutAreRetriedUntilItGoesThrough() {
        try (Checkpoints checkpoints = throughProxy()) {
            Rule rule = proxy.inject(r -> r.isPutOf(SHARD_0), new Answer(500, "Internal Server Error", "InternalError"), 2);
            TestStates.saveAndCommit(checkpoints, RUN, 1, 4, state);
            assertEquals(2, rule.served.get());
            assertEquals(3, count(r -> r.isPutOf(SHARD_0)), "two 500s, then the PUT that went through");
            assertSameBytes(state, checkpoints.restore(checkpoints.latest(RUN).orElseThrow()), "restored");
        }
    }

    @Test
    void tooManyRequestsOnAShardGetIsRetried() {
        try (Checkpoints checkpoints = throughProxy()) {
            CheckpointManifest saved = TestStates.saveAndCommit(checkpoints, RUN, 1, 4, state);
            Rule rule = proxy.inject(r -> r.isGetOf(SHARD_0), new Answer(429, "Too Many Requests", "TooManyRequests"), 3);
            assertSameBytes(state, checkpoints.restore(saved), "restored after three 429s");
            assertEquals(3, rule.served.get());
        }
    }

    @Test
    void aGetThatIsNeverAnsweredTimesOutAndIsRetried() {
        try (Checkpoints checkpoints = throughProxy(c -> c.socketTimeout(Duration.ofSeconds(1)))) {
            CheckpointManifest saved = TestStates.saveAndCommit(checkpoints, RUN, 1, 4, state);
            Rule rule = proxy.inject(r -> r.isGetOf(SHARD_0), new Stall(), 1);
            assertSameBytes(state, checkpoints.restore(saved), "restored after a read timeout");
            assertEquals(1, rule.served.get());
            assertEquals(2, count(r -> r.isGetOf(SHARD_0)), "the stalled GET, then its retry");
        }
    }

    @Test
    void aResetInTheMiddleOfAGetBodyIsRetriedAndTheRangeReadAgainFromItsStart() {
        try (Checkpoints checkpoints = throughProxy()) {
            CheckpointManifest saved = TestStates.saveAndCommit(checkpoints, RUN, 1, 4, state);
            // Shard 0 is about 1 MiB: the reset comes after 64 KiB of its body have been copied into the destination.
            Rule rule = proxy.inject(r -> r.isGetOf(SHARD_0), new ResetAfterResponseBytes(64 * 1024), 1);
            assertSameBytes(state, checkpoints.restore(saved), "restored after a reset mid-body");
            assertEquals(1, rule.served.get());
            assertEquals(2, count(r -> r.isGetOf(SHARD_0)));
        }
    }

    @Test
    void aPartResetMidUploadIsSentAgainAloneAndTheObjectIsWhole() {
        ByteBuffer big = TestStates.random(BIG.totalBytes(), 71);
        try (Checkpoints checkpoints = throughProxy(); ShardWriter writer = checkpoints.writer(RUN)) {
            Rule rule = proxy.inject(r -> r.isPart(2), new ResetAfterRequestBytes(1 << 20), 1);
            ShardReport report = writer.saveShardAsync(1, 0, 1, big).join();
            checkpoints.commit(TestStates.draft(RUN, 1, 1, BIG).build(), List.of(report));
            assertEquals(1, rule.served.get(), "part 2 was cut 1 MiB into its body");
            assertEquals(List.of(1, 2, 1), List.of(count(r -> r.isPart(1)), count(r -> r.isPart(2)), count(r -> r.isPart(3))),
                    "only the part that failed is sent again: " + proxy.requests);
            assertEquals(1, count(r -> r.method().equals("POST") && r.query().startsWith("uploads")),
                    "one multipart upload: " + proxy.requests);
            assertSameBytes(big, checkpoints.restore(checkpoints.latest(RUN).orElseThrow()), "restored");
        }
    }

    @Test
    void accessDeniedFailsTheSaveAtTheFirstAnswer() {
        try (Checkpoints checkpoints = throughProxy(); ShardWriter writer = checkpoints.writer(RUN)) {
            proxy.inject(r -> r.isPutOf(SHARD_0), new Answer(403, "Forbidden", "AccessDenied"), 100);
            CompletionException failure = assertThrows(CompletionException.class, () -> writer.saveShardAsync(1, 0, 4, state).join());
            assertInstanceOf(CheckpointException.class, failure.getCause());
            String message = failure.getCause().getMessage();
            assertTrue(message.contains("PUT s3://" + bucket + SHARD_0) && message.contains("HTTP 403 AccessDenied"), message);
            assertEquals(1, count(r -> r.isPutOf(SHARD_0)), "a 403 will not get better by retrying: " + proxy.requests);
        }
    }

    @Test
    void aMissingShardFailsTheRestoreAtTheFirstAnswer() {
        try (Checkpoints checkpoints = throughProxy()) {
            CheckpointManifest saved = TestStates.saveAndCommit(checkpoints, RUN, 1, 4, state);
            proxy.inject(r -> r.isGetOf(SHARD_0), new Answer(404, "Not Found", "NoSuchKey"), 100);
            CheckpointException failure = assertThrows(CheckpointException.class, () -> checkpoints.restore(saved));
            assertTrue(failure.getMessage().contains("s3://" + bucket + SHARD_0 + " does not exist"), failure.getMessage());
            assertEquals(1, count(r -> r.isGetOf(SHARD_0)), "a 404 will not get better by retrying: " + proxy.requests);
        }
    }

    @Test
    void aMultipartUploadWhosePartIsRefusedIsAborted() {
        ByteBuffer big = TestStates.random(BIG.totalBytes(), 72);
        try (Checkpoints checkpoints = throughProxy(); ShardWriter writer = checkpoints.writer(RUN)) {
            proxy.inject(r -> r.isPart(2), new Answer(403, "Forbidden", "AccessDenied"), 100);
            CompletionException failure = assertThrows(CompletionException.class, () -> writer.saveShardAsync(1, 0, 1, big).join());
            assertTrue(failure.getCause().getMessage().contains("HTTP 403"), failure.getCause().getMessage());
            Request created = proxy.requests(r -> r.method().equals("POST") && r.query().startsWith("uploads")).get(0);
            List<Request> aborts = proxy.requests(Request::isAbort);
            assertEquals(1, aborts.size(), "the failed upload is aborted, so its parts are not kept (and billed): " + proxy.requests);
            assertTrue(aborts.get(0).path().endsWith(BIG_SHARD), aborts.get(0).toString());
            assertEquals(1, count(r -> r.isPart(2)), proxy.requests.toString());
            assertTrue(created.path().endsWith(BIG_SHARD), created.toString());
        }
    }

    // Mid-run: checkpoints were committed, then S3 goes wrong for good. The save fails at the first answer, naming the
    // object and the cause in words, and nothing half-written becomes a checkpoint.

    @Test
    void credentialsRevokedMidRunFailTheSaveAtOnceAndTheLastCheckpointRestoresWhenAccessIsBack() {
        ByteBuffer first = TestStates.random(TestStates.LAYOUT.totalBytes(), 80);
        try (Checkpoints checkpoints = throughProxy()) {
            TestStates.saveAndCommit(checkpoints, RUN, 100, 2, first);
            AtomicBoolean revoked = new AtomicBoolean(true);
            proxy.inject(r -> revoked.get(), new Answer(403, "Forbidden", "AccessDenied"), Integer.MAX_VALUE);
            int before = proxy.requests.size();
            long start = System.nanoTime();
            CheckpointException denied = assertThrows(CheckpointException.class,
                    () -> TestStates.saveAndCommit(checkpoints, RUN, 200, 2, state));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(denied.getMessage().contains("s3://" + bucket + "/ckpt/run1/step-000000000200/shard-0-of-2.bin")
                    && denied.getMessage().contains("HTTP 403 AccessDenied") && denied.getMessage().contains("revoked"),
                    denied.getMessage());
            assertEquals(1, proxy.requests.size() - before, "a 403 is not retried: "
                    + proxy.requests.subList(before, proxy.requests.size()));
            assertTrue(seconds < 10, "failed at the first answer, not after the retry budget: " + seconds + " s");

            revoked.set(false);
            assertEquals(100, checkpoints.latest(RUN).orElseThrow().getStep(), "step 200 never became a checkpoint");
            assertSameBytes(first, checkpoints.restore(checkpoints.latest(RUN).orElseThrow()), "restored once access is back");
        }
    }

    @Test
    void aBucketDeletedMidRunFailsTheSaveSayingTheBucketIsGone() {
        try (Checkpoints checkpoints = throughProxy()) {
            TestStates.saveAndCommit(checkpoints, RUN, 100, 2, state);
            s3.deleteBucket(bucket);
            long start = System.nanoTime();
            CheckpointException gone = assertThrows(CheckpointException.class,
                    () -> TestStates.saveAndCommit(checkpoints, RUN, 200, 2, state));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(gone.getMessage().contains("HTTP 404 NoSuchBucket")
                    && gone.getMessage().contains("The bucket '" + bucket + "' does not exist (deleted during the run?)"),
                    gone.getMessage());
            assertTrue(seconds < 10, "failed at the first answer, not after the retry budget: " + seconds + " s");
            CheckpointException listing = assertThrows(CheckpointException.class, () -> checkpoints.latest(RUN));
            assertTrue(listing.getMessage().contains("The bucket '" + bucket + "' does not exist"), listing.getMessage());
        }
    }
}
