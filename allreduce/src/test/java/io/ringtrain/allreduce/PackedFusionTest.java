package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Packing tensors that live in separate memory into buckets, over real data planes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PackedFusionTest {
    private static final RingsByWorld RINGS = new RingsByWorld();
    private static final ExecutorService RANK_THREADS = Executors.newFixedThreadPool(4);
    /** Element counts; 5000 floats is larger than the 4 KiB buckets and is reduced in place. */
    private static final int[] TENSORS = {3, 1000, 0, 257, 5000, 1, 64, 700};
    private static final int GUARD = 16;
    private static final byte GUARD_BYTE = (byte) 0xA5;

    @AfterAll
    static void closeRings() {
        RINGS.close();
        RANK_THREADS.shutdownNow();
    }

    /**
     * One rank's tensors, each in memory of its own: a direct buffer, a slice in the middle of a larger direct
     * buffer (guard bytes on both sides), or a heap array, in turn.
     */
    record Tensor(String name, MutableDirectBuffer buffer, int offset, int count) {
        static Tensor allocate(int index, int count) {
            int bytes = count * Float.BYTES;
            return switch (index % 3) {
                case 0 -> new Tensor("t" + index, new UnsafeBuffer(ByteBuffer.allocateDirect(bytes)), 0, count);
                case 1 -> {
                    UnsafeBuffer larger = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes + 2 * GUARD));
                    larger.setMemory(0, larger.capacity(), GUARD_BYTE);
                    yield new Tensor("t" + index, larger, GUARD, count);
                }
                default -> new Tensor("t" + index, new UnsafeBuffer(new byte[bytes]), 0, count);
            };
        }

        float get(int i) {
            return buffer.getFloat(offset + i * Float.BYTES);
        }

        void put(int i, float value) {
            buffer.putFloat(offset + i * Float.BYTES, value);
        }

        boolean guardsIntact() {
            if (offset == 0) {
                return true;
            }
            for (int i = 0; i < GUARD; i++) {
                if (buffer.getByte(i) != GUARD_BYTE || buffer.getByte(buffer.capacity() - 1 - i) != GUARD_BYTE) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Fills every rank's tensors with small integers (exact sums) and returns the expected sums per tensor. */
    private static float[][] fill(List<List<Tensor>> ranks, long seed) {
        Random random = new Random(seed);
        float[][] sums = new float[TENSORS.length][];
        for (int t = 0; t < TENSORS.length; t++) {
            sums[t] = new float[TENSORS[t]];
            for (List<Tensor> rank : ranks) {
                for (int i = 0; i < TENSORS[t]; i++) {
                    int value = random.nextInt(33) - 16;
                    rank.get(t).put(i, value);
                    sums[t][i] += value;
                }
            }
        }
        return sums;
    }

    @Test
    void packedTensorsGetExactSumsWrittenBackForEveryWorldSize() {
        for (int world = 1; world <= 4; world++) {
            TestRing ring = RINGS.get(world);
            List<List<Tensor>> ranks = new ArrayList<>();
            List<PackedFusion> fusions = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                List<Tensor> tensors = new ArrayList<>();
                for (int t = 0; t < TENSORS.length; t++) {
                    tensors.add(Tensor.allocate(t, TENSORS[t]));
                }
                ranks.add(tensors);
                fusions.add(new PackedFusion(ring.comms[r], new FusionContext().bucketBytes(4096)));
            }
            for (int step = 0; step < 2; step++) {
                float[][] sums = fill(ranks, 10L * world + step);
                for (int r = 0; r < world; r++) {
                    for (Tensor t : ranks.get(r)) {
                        fusions.get(r).add(t.name(), t.buffer(), t.offset(), t.count());
                    }
                    // 3 + 1000 floats fill the first bucket, and the 5000-float tensor goes by itself.
                    assertEquals(3, fusions.get(r).bucketsSubmitted(), "buckets start before flush as they fill");
                }
                flushAll(fusions);
                for (int r = 0; r < world; r++) {
                    for (int t = 0; t < TENSORS.length; t++) {
                        Tensor tensor = ranks.get(r).get(t);
                        for (int i = 0; i < tensor.count(); i++) {
                            assertEquals(sums[t][i], tensor.get(i), "W=" + world + " step " + step + " rank " + r + " "
                                    + tensor.name() + "[" + i + "]");
                        }
                        assertTrue(tensor.guardsIntact(), "bytes around " + tensor.name() + " were overwritten");
                    }
                }
            }
        }
    }

    /** Flush blocks until every rank has submitted its last bucket, so each rank flushes on a thread of its own. */
    private static void flushAll(List<PackedFusion> fusions) {
        List<CompletableFuture<Void>> flushes = new ArrayList<>();
        for (PackedFusion fusion : fusions) {
            flushes.add(CompletableFuture.runAsync(fusion::flush, RANK_THREADS));
        }
        flushes.forEach(f -> f.orTimeout(30, TimeUnit.SECONDS).join());
    }

    @Test
    void float64AverageOverTwoRanks() {
        TestRing ring = RINGS.get(2);
        double[][] values = {{1.5, -2.25, 1e300, 7}, {0.5, 2.25, 1e300, -3}};
        List<PackedFusion> fusions = new ArrayList<>();
        List<UnsafeBuffer> tensors = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            UnsafeBuffer tensor = new UnsafeBuffer(ByteBuffer.allocateDirect(4 * Double.BYTES));
            for (int i = 0; i < 4; i++) {
                tensor.putDouble(i * Double.BYTES, values[r][i]);
            }
            PackedFusion fusion = new PackedFusion(ring.comms[r],
                    new FusionContext().dataType(DataType.FLOAT64).reduceOp(ReduceOp.AVG).bucketBytes(16));
            fusion.add("a", tensor, 0, 2);
            fusion.add("b", tensor, 2 * Double.BYTES, 2);
            tensors.add(tensor);
            fusions.add(fusion);
        }
        flushAll(fusions);
        for (UnsafeBuffer tensor : tensors) {
            assertEquals(1.0, tensor.getDouble(0));
            assertEquals(0.0, tensor.getDouble(8));
            assertEquals(1e300, tensor.getDouble(16));
            assertEquals(2.0, tensor.getDouble(24));
        }
    }

    @Test
    void tensorsOutsideTheirBufferAreRefused() {
        PackedFusion fusion = new PackedFusion(RINGS.get(1).comms[0], new FusionContext());
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[40]);
        var tooLong = assertThrows(IllegalArgumentException.class, () -> fusion.add("w", buffer, 4, 10));
        assertTrue(tooLong.getMessage().contains("tensor 'w': 10 FLOAT32 elements at byte offset 4 do not fit its buffer"
                + " of 40 bytes"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fusion.add("w", buffer, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> fusion.add("w", buffer, -4, 1));
        assertThrows(IllegalArgumentException.class, () -> fusion.add(null, buffer, 0, 1));
    }

    @Test
    void failedAllReduceLeavesPackedTensorsUnchanged() {
        try (TestRing ring = TestRing.udp(2)) {
            PackedFusion fusion = new PackedFusion(ring.comms[0], new FusionContext().bucketBytes(1024));
            UnsafeBuffer tensor = new UnsafeBuffer(new byte[64]);
            tensor.putFloat(0, 42f);
            ring.comms[0].close();
            fusion.add("w", tensor, 0, 16);
            assertThrows(CollectiveException.Closed.class, fusion::flush);
            assertEquals(42f, tensor.getFloat(0));
            assertEquals(0, fusion.bucketsSubmitted(), "a failed flush still starts the next step afresh");
        }
    }
}
