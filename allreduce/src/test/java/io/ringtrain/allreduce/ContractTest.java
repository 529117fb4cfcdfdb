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
    void closeFromAnotherThreadFailsTheCollectiveABlockedCallerIsJoiningAtOnce() throws Exception {
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
            awaitDrivingTheDutyCycle(caller);
            assertTrue(caller.isAlive(), "the caller must still be blocked: the collective cannot complete");

            long closedAt = System.nanoTime();
            ring.comms[0].close();
            caller.join(TimeUnit.SECONDS.toMillis(10));
            assertTrue(!caller.isAlive(), "closing must release the blocked caller");
            double ms = (failedAt.get() - closedAt) / 1e6;
            System.out.printf("blocked join() failed %.2f ms after close()%n", ms);
            assertInstanceOf(CollectiveException.Closed.class, failure.get());
            // Closed, not Timeout, is what shows close() released it; the time is printed, not asserted (a loaded
            // 2-core host can stall any thread for 100 ms), but it must come long before the 10 s collective timeout.
            assertTrue(ms < 5_000, "the blocked caller was released " + ms + " ms after close()");

            CompletableFuture<Void> later = ring.comms[0].allReduce(buffer, 0, 16, DataType.FLOAT32, ReduceOp.SUM);
            assertTrue(later.isCompletedExceptionally(), "a call after close() must fail at once, not after a round trip");
            CompletionException e = assertThrows(CompletionException.class, later::join);
            assertInstanceOf(CollectiveException.Closed.class, e.getCause());
            assertTrue(ring.comms[0].barrier().isCompletedExceptionally());
        }
    }

    /**
     * Waits (bounded) until {@code caller} is inside the future's join(), running the duty cycle: the state close()
     * must release it from. Seen in its stack, so the test does not guess how long a thread takes to get there.
     */
    private static void awaitDrivingTheDutyCycle(Thread caller) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!inDriveUntilDone(caller)) {
            assertTrue(caller.isAlive(), "the caller returned from join(): the collective cannot complete");
            assertTrue(System.nanoTime() < deadline, "the caller did not reach driveUntilDone within 20 s");
            Thread.sleep(5);
        }
    }

    private static boolean inDriveUntilDone(Thread thread) {
        for (StackTraceElement frame : thread.getStackTrace()) {
            if (frame.getClassName().equals(DataPlaneAgent.class.getName()) && frame.getMethodName().equals("driveUntilDone")) {
                return true;
            }
        }
        return false;
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
