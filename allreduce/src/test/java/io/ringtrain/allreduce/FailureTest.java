package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Collectives fail with typed errors in bounded time, and frames that do not belong are ignored. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FailureTest {

    @Test
    void rankThatStopsReadingFailsTheSenderWithinTimeout() throws Exception {
        try (TestRing ring = TestRing.udp(2, ctx -> ctx.collectiveTimeout(Duration.ofSeconds(2)))) {
            // Far more than the flow-control window: rank 0 must block on rank 1, which never joins in.
            int count = 16 << 20;
            UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(count * Float.BYTES));
            long start = System.nanoTime();
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> ring.comms[0].allReduce(buffer, 0, count, DataType.FLOAT32, ReduceOp.SUM).get(30, TimeUnit.SECONDS));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertInstanceOf(CollectiveException.Timeout.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("made no progress"), e.getCause().getMessage());
            assertTrue(seconds >= 2 && seconds < 2 + 3, "must fail after the 2 s timeout and not much later: " + seconds);
        }
    }

    @Test
    void laterCollectivesFailFastOnceOneHasFailed() throws Exception {
        try (TestRing ring = TestRing.udp(2, ctx -> ctx.collectiveTimeout(Duration.ofSeconds(1)))) {
            UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4 << 20));
            CompletableFuture<Void> first = ring.comms[0].allReduce(buffer, 0, 1 << 20, DataType.FLOAT32, ReduceOp.SUM);
            CompletableFuture<Void> second = ring.comms[0].allReduce(buffer, 0, 16, DataType.FLOAT32, ReduceOp.SUM);
            ExecutionException e = assertThrows(ExecutionException.class, () -> second.get(30, TimeUnit.SECONDS));
            assertInstanceOf(CollectiveException.Closed.class, e.getCause());
            assertTrue(first.isCompletedExceptionally());
            ExecutionException later = assertThrows(ExecutionException.class,
                    () -> ring.comms[0].barrier().get(5, TimeUnit.SECONDS));
            assertInstanceOf(CollectiveException.Closed.class, later.getCause());
        }
    }

    @Test
    void mismatchedSizesAreReportedAsCallerBug() throws Exception {
        try (TestRing ring = TestRing.udp(2)) {
            UnsafeBuffer a = new UnsafeBuffer(ByteBuffer.allocateDirect(8 << 20));
            UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(8 << 20));
            CompletableFuture<Void> fa = ring.comms[0].allReduce(a, 0, 1 << 20, DataType.FLOAT32, ReduceOp.SUM);
            CompletableFuture<Void> fb = ring.comms[1].allReduce(b, 0, 1 << 19, DataType.FLOAT32, ReduceOp.SUM);
            ExecutionException e = assertThrows(ExecutionException.class, () -> fa.get(30, TimeUnit.SECONDS));
            assertInstanceOf(CollectiveException.Mismatch.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("same sizes"), e.getCause().getMessage());
            assertThrows(ExecutionException.class, () -> fb.get(30, TimeUnit.SECONDS));
        }
    }

    /**
     * A stray publisher sends frames that look exactly like rank 1's for the running collective, but stamped
     * with the previous generation. They must be dropped: applied, they would double-count rank 1's data.
     */
    @Test
    void staleGenerationFramesAreIgnored() throws Exception {
        String dir = SharedDriver.defaultDirectory();
        try (TestRing ring = TestRing.udp(2, ctx -> ctx.smallMessageThreshold(0));
             MediaDriver driver = MediaDriver.launch(DriverSettings.base(dir, ThreadingMode.SHARED, Throwable::printStackTrace));
             Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir))) {
            Communicator[] gen2 = TestRing.join(ring.planes, 2);
            Endpoint target = Endpoint.parse(ring.planes[0].endpoint());
            ExclusivePublication stray = aeron.addExclusivePublication(target.udpChannel(65504, 1 << 20), DataPlaneContext.DEFAULT_STREAM_ID);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!stray.isConnected() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(stray.isConnected(), "the stray publisher must reach rank 0");

            int count = 1000;
            long droppedBefore = ring.planes[0].staleFramesDropped();
            Reduction sum = Reduction.of(DataType.FLOAT32, ReduceOp.SUM, WireCompression.NONE);
            UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(FrameHeader.LENGTH + count * 4));
            for (int i = 0; i < count; i++) {
                frame.putFloat(FrameHeader.LENGTH + i * 4, 1000f);
            }
            // What rank 1 sends first in a W=2 ring all-reduce of 1000 floats: step 0, its segment [500, 1000).
            new FrameHeader().wrap(frame, 0).write(1, 1, FrameHeader.TYPE_DATA, sum.descriptor(CollectiveKind.RING_ALL_REDUCE),
                    1, 0, 500, 500, count);
            for (int i = 0; i < 5; i++) {
                while (stray.offer(frame, 0, FrameHeader.LENGTH + 500 * 4) < 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
            while (ring.planes[0].staleFramesDropped() - droppedBefore < 5 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }

            UnsafeBuffer[] buffers = {new UnsafeBuffer(ByteBuffer.allocateDirect(count * 4)), new UnsafeBuffer(ByteBuffer.allocateDirect(count * 4))};
            for (int r = 0; r < 2; r++) {
                for (int i = 0; i < count; i++) {
                    buffers[r].putFloat(i * 4, r + 1);
                }
            }
            CompletableFuture<Void> f0 = gen2[0].allReduce(buffers[0], 0, count, DataType.FLOAT32, ReduceOp.SUM);
            CompletableFuture<Void> f1 = gen2[1].allReduce(buffers[1], 0, count, DataType.FLOAT32, ReduceOp.SUM);
            f0.get(30, TimeUnit.SECONDS);
            f1.get(30, TimeUnit.SECONDS);
            for (int i = 0; i < count; i++) {
                assertEquals(3f, buffers[0].getFloat(i * 4), "element " + i + " on rank 0");
            }
            assertTrue(ring.planes[0].staleFramesDropped() - droppedBefore >= 5, "the stale frames must have been seen and dropped");
        } finally {
            DriverDirectories.deleteRecursively(java.nio.file.Path.of(dir));
        }
    }

    @Test
    void ringReformsAtANewGenerationWithDifferentRanks() throws Exception {
        try (TestRing ring = TestRing.udp(3)) {
            // Generation 2 lists the same data planes in another order: every rank number changes.
            DataPlane[] reordered = {ring.planes[2], ring.planes[0], ring.planes[1]};
            Communicator[] gen2 = TestRing.join(reordered, 2);
            AllReduceCorrectnessTest.checkFloat(gen2, 50_000, ReduceOp.SUM, WireCompression.NONE, 5);
            ExecutionException e = assertThrows(ExecutionException.class, () -> ring.comms[0].barrier().get(5, TimeUnit.SECONDS));
            assertInstanceOf(CollectiveException.Closed.class, e.getCause(), "the old generation is closed by the new one");
        }
    }
}
