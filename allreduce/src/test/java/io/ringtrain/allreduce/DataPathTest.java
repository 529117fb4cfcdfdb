package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.driver.ThreadingMode;
import io.aeron.driver.ext.DebugReceiveChannelEndpoint;
import io.aeron.driver.ext.RandomLossGenerator;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the README says of the data path: no allocation per frame, bf16 on the wire, exact under loss, every shipped threading. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DataPathTest {

    @Test
    void collectivesAllocateNothingPerFrame() {
        try (TestRing ring = TestRing.udp(2)) {
            int big = 1 << 20; // 4 MiB: about 130 frames per rank per all-reduce
            UnsafeBuffer[] buffers = {buffer(big), buffer(big)};
            runMany(ring, buffers, big, 30);
            runMany(ring, buffers, 16, 30);
            long bigBytes = allocatedPerCollective(ring, buffers, big, 100);
            long smallBytes = allocatedPerCollective(ring, buffers, 16, 100);
            System.out.printf("bytes allocated per all-reduce (all threads of both ranks): 4 MiB %d, 64 B %d%n", bigBytes, smallBytes);
            // A future per rank and call is all a collective may cost; per-frame allocation would be ~130x that.
            assertTrue(bigBytes < 2048, "a 4 MiB all-reduce allocated " + bigBytes + " bytes: something allocates per frame");
            assertTrue(bigBytes < smallBytes + 1024, "allocation must not grow with frames: " + bigBytes + " vs " + smallBytes);
        }
    }

    private static long allocatedPerCollective(TestRing ring, UnsafeBuffer[] buffers, int count, int iterations) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<Long> ids = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("rank-") || t == Thread.currentThread()) {
                ids.add(t.getId());
            }
        }
        long[] idArray = ids.stream().mapToLong(Long::longValue).toArray();
        long before = sum(threads.getThreadAllocatedBytes(idArray));
        runMany(ring, buffers, count, iterations);
        return (sum(threads.getThreadAllocatedBytes(idArray)) - before) / iterations;
    }

    private static long sum(long[] values) {
        long total = 0;
        for (long v : values) {
            total += Math.max(0, v);
        }
        return total;
    }

    private static void runMany(TestRing ring, UnsafeBuffer[] buffers, int count, int iterations) {
        for (int it = 0; it < iterations; it++) {
            CompletableFuture<Void> a = ring.comms[0].allReduce(buffers[0], 0, count, DataType.FLOAT32, ReduceOp.MAX);
            CompletableFuture<Void> b = ring.comms[1].allReduce(buffers[1], 0, count, DataType.FLOAT32, ReduceOp.MAX);
            a.join();
            b.join();
        }
    }

    @Test
    void bf16HalvesTheBytesOnTheWire() {
        try (TestRing ring = TestRing.udp(2)) {
            int count = 1 << 20;
            UnsafeBuffer[] buffers = {buffer(count), buffer(count)};
            long plain = bytesSent(ring, buffers, count, WireCompression.NONE);
            long bf16 = bytesSent(ring, buffers, count, WireCompression.BF16);
            System.out.printf("bytes sent by rank 0 per all-reduce of %d floats: %d as float32, %d as bf16%n", count, plain, bf16);
            assertTrue(plain >= (long) count * 4 * 9 / 10, "float32: a W=2 ring sends the whole buffer once, sent " + plain);
            double ratio = (double) bf16 / plain;
            assertTrue(ratio > 0.45 && ratio < 0.55, "bf16 must put half the bytes on the wire, ratio " + ratio);
        }
    }

    private static long bytesSent(TestRing ring, UnsafeBuffer[] buffers, int count, WireCompression compression) {
        long before = ring.planes[0].systemCounter("Bytes sent");
        for (int it = 0; it < 5; it++) {
            CompletableFuture<Void> a = ring.comms[0].allReduce(buffers[0], 0, count, DataType.FLOAT32, ReduceOp.SUM, compression);
            CompletableFuture<Void> b = ring.comms[1].allReduce(buffers[1], 0, count, DataType.FLOAT32, ReduceOp.SUM, compression);
            a.join();
            b.join();
        }
        return (ring.planes[0].systemCounter("Bytes sent") - before) / 5;
    }

    @Test
    void resultsStayExactWhenTheNetworkDropsFivePercentOfFrames() {
        // Aeron's own loss generator in each receiver: 5 % of data frames vanish and are NAKed and retransmitted.
        try (TestRing ring = TestRing.udp(3, ctx -> ctx.driverHook(driver -> driver.receiveChannelEndpointSupplier(
                (channel, dispatcher, status, context) -> new DebugReceiveChannelEndpoint(channel, dispatcher, status, context,
                        new RandomLossGenerator(0.05, 42), new RandomLossGenerator(0)))))) {
            int count = 300_001;
            for (int it = 0; it < 3; it++) {
                UnsafeBuffer[] buffers = new UnsafeBuffer[3];
                List<CompletableFuture<Void>> runs = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    buffers[r] = buffer(count);
                    for (int i = 0; i < count; i++) {
                        buffers[r].putFloat(i * 4, (r + i + it) % 8 + 1);
                    }
                    runs.add(ring.comms[r].allReduce(buffers[r], 0, count, DataType.FLOAT32, ReduceOp.SUM));
                }
                runs.forEach(f -> f.orTimeout(60, TimeUnit.SECONDS).join());
                for (int r = 0; r < 3; r++) {
                    for (int i = 0; i < count; i++) {
                        float expected = (i + it) % 8 + 1 + (1 + i + it) % 8 + 1 + (2 + i + it) % 8 + 1;
                        assertEquals(expected, buffers[r].getFloat(i * 4), "rank " + r + " element " + i);
                    }
                }
            }
            long naks = 0;
            for (DataPlane p : ring.planes) {
                naks += p.systemCounter("NAKs sent");
            }
            assertTrue(naks > 0, "frames must really have been lost and recovered (no NAKs were sent)");
        }
    }

    @Test
    void everyShippedThreadingModeAndIdleStrategyWorks() {
        // The defaults the CPU manifests run with (INVOKER, adaptive), SHARED with backoff (a shared driver's), and the
        // GPU overlay's DEDICATED with busy-spin.
        String[][] settings = {{"INVOKER", "adaptive"}, {"SHARED", "backoff"}, {"DEDICATED", "busy-spin"}};
        for (String[] s : settings) {
            try (TestRing ring = TestRing.udp(2, ctx -> ctx.driverThreading(ThreadingMode.valueOf(s[0])).idleStrategy(s[1]))) {
                AllReduceCorrectnessTest.checkFloat(ring.comms, 100_000, ReduceOp.SUM, WireCompression.NONE, 9);
                AllReduceCorrectnessTest.checkFloat(ring.comms, 100, ReduceOp.MAX, WireCompression.NONE, 10);
            }
        }
    }

    private static UnsafeBuffer buffer(int floats) {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(floats * Float.BYTES));
    }
}
