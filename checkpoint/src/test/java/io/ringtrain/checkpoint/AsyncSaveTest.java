package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.ShardReport;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class AsyncSaveTest extends StoreTestBase {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Backend.class)
    void asyncSaveStoresSnapshotTimeValuesWhileCallerOverwritesSource(Backend backend) {
        String root = newRootUri(backend);
        GatedStore gated = new GatedStore(opener(backend).apply(root));
        try (Checkpoints checkpoints = Checkpoints.open(gated, new Checkpoints.Context())) {
            ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 10);
            ByteBuffer original = TestStates.copy(state);
            List<ShardWriter> writers = new ArrayList<>();
            List<CompletableFuture<ShardReport>> saves = new ArrayList<>();
            for (int rank = 0; rank < 4; rank++) {
                ShardWriter writer = checkpoints.writer("run1");
                writers.add(writer);
                saves.add(writer.saveShardAsync(7, rank, 4, state));
            }
            Await.until(() -> gated.putsWaiting.get() == 4, Duration.ofSeconds(10), "all four uploads to be in flight");
            saves.forEach(save -> assertFalse(save.isDone(), "save returned before its upload finished"));

            // Training continues and changes every parameter while the uploads are still running.
            for (int i = 0; i < state.limit(); i++) {
                state.put(i, (byte) ~state.get(i));
            }
            gated.open();
            List<ShardReport> reports = saves.stream().map(CompletableFuture::join).toList();
            checkpoints.commit(TestStates.draft("run1", 7, 4, TestStates.LAYOUT).build(), reports);
            writers.forEach(ShardWriter::close);

            assertSameBytes(original, checkpoints.restore(checkpoints.latest("run1").orElseThrow()), "restored state");
        }
    }

    @Test
    void waitPolicyHoldsTheSecondSaveUntilTheFirstIsDurable() throws Exception {
        GatedStore gated = new GatedStore(DirectoryStore.open(dir));
        try (ShardWriter writer = new ShardWriter(gated, new ShardWriter.Context().runId("run1").savePolicy(SavePolicy.WAIT))) {
            ByteBuffer state = TestStates.random(1 << 20, 11);
            CompletableFuture<ShardReport> first = writer.saveShardAsync(1, 0, 1, state);
            AtomicReference<CompletableFuture<ShardReport>> second = new AtomicReference<>();
            Thread caller = new Thread(() -> second.set(writer.saveShardAsync(2, 0, 1, state)));
            caller.start();
            Await.until(() -> caller.getState() == Thread.State.WAITING || caller.getState() == Thread.State.TIMED_WAITING,
                    Duration.ofSeconds(10), "second save to block");
            assertFalse(first.isDone());
            assertEquals(null, second.get(), "second save returned while the first was uploading");

            gated.open();
            caller.join(TimeUnit.SECONDS.toMillis(20));
            assertFalse(caller.isAlive());
            assertEquals(1, first.join().getStep());
            assertEquals(2, second.get().join().getStep());
        }
    }

    @Test
    void skipPolicyRejectsTheSecondSaveAtOnceAndKeepsTheFirst() {
        GatedStore gated = new GatedStore(DirectoryStore.open(dir));
        try (ShardWriter writer = new ShardWriter(gated, new ShardWriter.Context().runId("run1").savePolicy(SavePolicy.SKIP))) {
            ByteBuffer state = TestStates.random(1 << 20, 12);
            CompletableFuture<ShardReport> first = writer.saveShardAsync(1, 0, 1, state);
            CompletableFuture<ShardReport> second = writer.saveShardAsync(2, 0, 1, state);

            CompletionException skipped = assertThrows(CompletionException.class, second::join);
            assertInstanceOf(SaveSkippedException.class, skipped.getCause());
            assertTrue(skipped.getCause().getMessage().contains("step 1 is still uploading"), skipped.getCause().getMessage());
            assertFalse(first.isDone());
            gated.open();
            assertEquals(1, first.join().getStep());
            assertEquals(2, writer.saveShardAsync(2, 0, 1, state).join().getStep(), "a save after the first finished runs");
        }
    }

    @Test
    void stagingBufferIsReusedBetweenSavesAndGrownOnlyWhenNeeded() {
        try (ShardWriter writer = new ShardWriter(DirectoryStore.open(dir), new ShardWriter.Context().runId("run1"))) {
            ByteBuffer state = TestStates.random(4 << 20, 13);
            writer.saveShard(1, 1, 4, state);
            ByteBuffer staging = writer.stagingBuffer();
            assertNotNull(staging);
            assertTrue(staging.isDirect());
            writer.saveShard(2, 2, 4, state);
            writer.saveShard(3, 0, 2, state.duplicate().limit(2 << 20));
            assertSame(staging, writer.stagingBuffer(), "same-size and smaller shards reuse the staging buffer");

            writer.saveShard(4, 0, 2, state);
            assertEquals(2 << 20, writer.stagingBytes(), "a larger shard grows the staging buffer to its size");
        }
    }

    @Test
    void twoThreadSnapshotOfALargeShardStoresExactlyItsRange() {
        try (ShardWriter writer = new ShardWriter(DirectoryStore.open(dir), new ShardWriter.Context().runId("run1"))) {
            // The state starts at position 5 of its buffer; rank 1 of 2 owns a 10 MiB + 2 byte range: copied in two halves.
            ByteBuffer buffer = TestStates.random((20L << 20) + 9, 15);
            ByteBuffer state = buffer.duplicate().position(5);
            ShardReport report = writer.saveShard(9, 1, 2, state);
            assertTrue(report.getByteLength() >= ShardWriter.PARALLEL_SNAPSHOT_MIN_BYTES);

            ByteBuffer stored = DirectoryStore.open(dir).readAll(CheckpointKeys.shard("run1", 9, 1, 2));
            int from = 5 + (int) report.getByteOffset();
            assertSameBytes(buffer.duplicate().position(from).limit(from + (int) report.getByteLength()), stored, "stored shard");
            assertEquals(5, state.position(), "the caller's buffer position is left alone");
        }
    }

    @Test
    void failedUploadFailsTheFutureNamingTheObject() throws Exception {
        DirectoryStore store = DirectoryStore.open(dir);
        Files.writeString(dir.resolve("run1"), "a file where the run directory should be");
        try (ShardWriter writer = new ShardWriter(store, new ShardWriter.Context().runId("run1"))) {
            CompletableFuture<ShardReport> save = writer.saveShardAsync(5, 0, 2, TestStates.random(1 << 16, 14));
            CompletionException failure = assertThrows(CompletionException.class, save::join);
            assertInstanceOf(CheckpointException.class, failure.getCause());
            assertTrue(failure.getCause().getMessage().contains("run1/step-000000000005/shard-0-of-2.bin"), failure.getCause().getMessage());
        }
    }
}
