package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the worker's elastic training relies on, each pinned by the behaviour it needs: a communicator closed from
 * another thread releases a caller blocked on it at once.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ContractTest {

    @Test
    void closeFromAnotherThreadFailsTheCollectiveABlockedCallerIsJoiningWellUnder100Ms() throws Exception {
        try (TestRing ring = TestRing.udp(2)) {
            // Rank 1 never takes part: rank 0's all-reduce cannot finish, so its caller stays blocked in join().
            int count = 4 << 20;
            UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(count * Float.BYTES));
            CompletableFuture<Void> stuck = ring.comms[0].allReduce(buffer, 0, count, DataType.FLOAT32, ReduceOp.SUM);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong failedAt = new AtomicLong();
            CountDownLatch joining = new CountDownLatch(1);
            Thread caller = new Thread(() -> {
                joining.countDown();
                try {
                    stuck.join();
                } catch (CompletionException e) {
                    failedAt.set(System.nanoTime());
                    failure.set(e.getCause());
                }
            }, "blocked-caller");
            caller.start();
            assertTrue(joining.await(10, TimeUnit.SECONDS));
            Thread.sleep(300); // well inside join() by now, driving the duty cycle
            assertTrue(caller.isAlive(), "the caller must still be blocked: the collective cannot complete");

            long closedAt = System.nanoTime();
            ring.comms[0].close();
            caller.join(TimeUnit.SECONDS.toMillis(10));
            assertTrue(!caller.isAlive(), "closing must release the blocked caller");
            double ms = (failedAt.get() - closedAt) / 1e6;
            System.out.printf("blocked join() failed %.2f ms after close()%n", ms);
            assertInstanceOf(CollectiveException.Closed.class, failure.get());
            assertTrue(ms < 100, "the blocked caller must be released well under 100 ms after close(), took " + ms + " ms");

            CompletableFuture<Void> later = ring.comms[0].allReduce(buffer, 0, 16, DataType.FLOAT32, ReduceOp.SUM);
            assertTrue(later.isCompletedExceptionally(), "a call after close() must fail at once, not after a round trip");
            CompletionException e = assertThrows(CompletionException.class, later::join);
            assertInstanceOf(CollectiveException.Closed.class, e.getCause());
            assertTrue(ring.comms[0].barrier().isCompletedExceptionally());
        }
    }

    @Test
    void callsOnABrokenRingFailAtOnce() throws Exception {
        try (TestRing ring = TestRing.udp(2, ctx -> ctx.collectiveTimeout(java.time.Duration.ofMillis(500)))) {
            UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4 << 20));
            CompletableFuture<Void> first = ring.comms[0].allReduce(buffer, 0, 1 << 20, DataType.FLOAT32, ReduceOp.SUM);
            CompletionException e = assertThrows(CompletionException.class, first::join);
            assertInstanceOf(CollectiveException.Timeout.class, e.getCause());
            CompletableFuture<Void> later = ring.comms[0].allReduce(buffer, 0, 16, DataType.FLOAT32, ReduceOp.SUM);
            assertTrue(later.isCompletedExceptionally(), "the ring is known to be broken: refuse without queueing");
            assertEquals(CollectiveException.Closed.class, assertThrows(CompletionException.class, later::join).getCause().getClass());
        }
    }
}
