package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
