package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Broadcast, all-gather and barrier over real drivers, and the largest world size we promise. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OtherCollectivesTest {

    @Test
    void broadcastDeliversTheRootsBytesToEveryRankFromAnyRoot() {
        try (TestRing ring = TestRing.udp(4)) {
            for (int length : new int[] {1, 100, 65_441, 3 << 20}) {
                for (int root = 0; root < 4; root++) {
                    byte[] payload = new byte[length];
                    new Random(length * 31L + root).nextBytes(payload);
                    UnsafeBuffer[] buffers = new UnsafeBuffer[4];
                    List<CompletableFuture<Void>> runs = new ArrayList<>();
                    for (int r = 0; r < 4; r++) {
                        buffers[r] = new UnsafeBuffer(ByteBuffer.allocateDirect(length + 16));
                        if (r == root) {
                            buffers[r].putBytes(8, payload);
                        }
                        runs.add(ring.comms[r].broadcast(buffers[r], 8, length, root));
                    }
                    runs.forEach(f -> f.orTimeout(60, TimeUnit.SECONDS).join());
                    for (int r = 0; r < 4; r++) {
                        byte[] got = new byte[length];
                        buffers[r].getBytes(8, got);
                        assertArrayEquals(payload, got, "rank " + r + " after broadcast of " + length + " bytes from " + root);
                        assertEquals(0, buffers[r].getLong(0), "bytes before the range stay untouched");
                    }
                }
            }
        }
    }

    @Test
    void allGatherCollectsEveryRanksBlockInRankOrder() {
        try (TestRing ring = TestRing.udp(3)) {
            for (int block : new int[] {1, 7, 70_000}) {
                UnsafeBuffer[] buffers = new UnsafeBuffer[3];
                List<CompletableFuture<Void>> runs = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    buffers[r] = new UnsafeBuffer(ByteBuffer.allocateDirect(block * 3));
                    for (int i = 0; i < block; i++) {
                        buffers[r].putByte(r * block + i, (byte) (r * 50 + i % 50));
                    }
                    runs.add(ring.comms[r].allGather(buffers[r], 0, block));
                }
                runs.forEach(f -> f.orTimeout(60, TimeUnit.SECONDS).join());
                for (int r = 0; r < 3; r++) {
                    for (int owner = 0; owner < 3; owner++) {
                        for (int i = 0; i < block; i += Math.max(1, block / 100)) {
                            assertEquals((byte) (owner * 50 + i % 50), buffers[r].getByte(owner * block + i),
                                    "rank " + r + " block of rank " + owner + " byte " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void barrierWaitsForTheLastRank() throws Exception {
        try (TestRing ring = TestRing.udp(3)) {
            CompletableFuture<Void> early0 = ring.comms[0].barrier();
            CompletableFuture<Void> early1 = ring.comms[1].barrier();
            // Nothing can complete while rank 2 has not arrived; give the others ample time to prove it.
            assertThrows(java.util.concurrent.TimeoutException.class, () -> early0.get(300, TimeUnit.MILLISECONDS));
            assertFalse(early1.isDone(), "rank 1 must still be waiting for rank 2");
            ring.comms[2].barrier().get(30, TimeUnit.SECONDS);
            early0.get(30, TimeUnit.SECONDS);
            early1.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void sixteenRanksAllReduceBothPaths() {
        try (TestRing ring = TestRing.udp(16, ctx -> ctx.termLength(512 << 10).socketBufferLength(256 << 10))) {
            for (int count : new int[] {1, 15, 16, 17, 4_000, 200_003}) {
                AllReduceCorrectnessTest.checkFloat(ring.comms, count, ReduceOp.SUM, WireCompression.NONE, count);
            }
        }
    }
}
