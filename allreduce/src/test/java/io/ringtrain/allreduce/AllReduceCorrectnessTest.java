package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Results against a double-precision reference, over real Aeron drivers on loopback UDP. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AllReduceCorrectnessTest {

    /** Lengths around every boundary: empty, fewer elements than ranks, segment and frame edges, large. */
    static int[] lengthsFor(int world, int chunkElements) {
        return new int[] {0, 1, 2, world - 1, world, world + 1, 1000, chunkElements - 1, chunkElements,
            chunkElements + 1, world * chunkElements + 3, 100_003, (1 << 20) + 7};
    }

    @Test
    void sumMatchesDoubleReferenceForEveryWorldSizeAndLength() {
        for (int world : new int[] {1, 2, 3, 4, 8}) {
            try (TestRing ring = TestRing.udp(world)) {
                int chunk = ring.planes[0].context().maxPayloadLength() / Float.BYTES;
                for (int count : lengthsFor(world, chunk)) {
                    checkFloat(ring.comms, count, ReduceOp.SUM, WireCompression.NONE, 31L * world + count);
                }
            }
        }
    }

    @Test
    void ringPathHandlesBuffersSmallerThanTheWorld() {
        // With the direct path off, tiny buffers leave some ring segments empty.
        try (TestRing ring = TestRing.udp(4, ctx -> ctx.smallMessageThreshold(0))) {
            for (int count = 1; count <= 9; count++) {
                checkFloat(ring.comms, count, ReduceOp.SUM, WireCompression.NONE, count);
                checkFloat(ring.comms, count, ReduceOp.AVG, WireCompression.BF16, count);
                checkDouble(ring.comms, count, ReduceOp.MIN, count);
            }
        }
    }

    @Test
    void everyOpAndTypeOverUdp() {
        try (TestRing ring = TestRing.udp(3)) {
            for (ReduceOp op : ReduceOp.values()) {
                for (int count : new int[] {5, 20_000, 300_001}) {
                    checkFloat(ring.comms, count, op, WireCompression.NONE, op.ordinal() * 7L + count);
                    checkDouble(ring.comms, count, op, op.ordinal() * 11L + count);
                }
            }
        }
    }

    @Test
    void ipcTransportGivesTheSameResults() {
        try (TestRing ring = TestRing.ipc(4)) {
            for (int count : new int[] {1, 3, 4, 4099, 250_000}) {
                checkFloat(ring.comms, count, ReduceOp.SUM, WireCompression.NONE, count);
                checkDouble(ring.comms, count, ReduceOp.MAX, count);
            }
        }
    }

    @Test
    void bf16CompressionStaysWithinBf16PrecisionAndRanksAgreeExactly() {
        try (TestRing ring = TestRing.udp(4)) {
            for (int count : new int[] {7, 5000, 200_000}) {
                checkFloat(ring.comms, count, ReduceOp.SUM, WireCompression.BF16, 99 + count);
                checkFloat(ring.comms, count, ReduceOp.AVG, WireCompression.BF16, 98 + count);
            }
        }
    }

    static void checkFloat(Communicator[] comms, int count, ReduceOp op, WireCompression compression, long seed) {
        int world = comms.length;
        Random random = new Random(seed);
        float[][] inputs = new float[world][count];
        UnsafeBuffer[] buffers = new UnsafeBuffer[world];
        for (int r = 0; r < world; r++) {
            buffers[r] = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(1, count) * Float.BYTES));
            for (int i = 0; i < count; i++) {
                inputs[r][i] = (float) random.nextGaussian();
                buffers[r].putFloat(i * Float.BYTES, inputs[r][i]);
            }
        }
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            runs.add(comms[r].allReduce(buffers[r], 0, count, DataType.FLOAT32, op, compression));
        }
        runs.forEach(f -> f.orTimeout(60, TimeUnit.SECONDS).join());

        // Each value crosses the wire at most W times, and bf16 keeps 8 significant bits each time.
        double relTolerance = compression == WireCompression.BF16 ? world * 0.0079 : 1e-5;
        for (int i = 0; i < count; i++) {
            int element = i;
            double expected = reference(op, world, r -> inputs[r][element]);
            double scale = compression == WireCompression.BF16 ? magnitudeSum(world, r -> inputs[r][element]) : Math.abs(expected);
            float actual = buffers[0].getFloat(i * Float.BYTES);
            if (Math.abs(actual - expected) > relTolerance * scale + 1e-6) {
                fail("W=" + world + " count=" + count + " " + op + " " + compression + ": element " + i + " is " + actual
                        + ", expected " + expected);
            }
        }
        byte[] first = bytes(buffers[0], count * Float.BYTES);
        for (int r = 1; r < world; r++) {
            assertArrayEquals(first, bytes(buffers[r], count * Float.BYTES),
                    "rank " + r + " must hold bit-identical results to rank 0 (W=" + world + ", count=" + count + ")");
        }
    }

    static void checkDouble(Communicator[] comms, int count, ReduceOp op, long seed) {
        int world = comms.length;
        Random random = new Random(seed);
        double[][] inputs = new double[world][count];
        UnsafeBuffer[] buffers = new UnsafeBuffer[world];
        for (int r = 0; r < world; r++) {
            buffers[r] = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(1, count) * Double.BYTES));
            for (int i = 0; i < count; i++) {
                inputs[r][i] = random.nextGaussian();
                buffers[r].putDouble(i * Double.BYTES, inputs[r][i]);
            }
        }
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            runs.add(comms[r].allReduce(buffers[r], 0, count, DataType.FLOAT64, op));
        }
        runs.forEach(f -> f.orTimeout(60, TimeUnit.SECONDS).join());
        for (int r = 0; r < world; r++) {
            for (int i = 0; i < count; i++) {
                int element = i;
                double expected = reference(op, world, q -> inputs[q][element]);
                assertEquals(expected, buffers[r].getDouble(i * Double.BYTES), 1e-12 * Math.max(1, Math.abs(expected)),
                        "rank " + r + " element " + i + " of " + count + " " + op);
            }
        }
    }

    interface Value {
        double at(int rank);
    }

    static double reference(ReduceOp op, int world, Value v) {
        double acc = v.at(0);
        for (int r = 1; r < world; r++) {
            double x = v.at(r);
            acc = switch (op) {
                case SUM, AVG -> acc + x;
                case MIN -> Math.min(acc, x);
                case MAX -> Math.max(acc, x);
            };
        }
        return op == ReduceOp.AVG ? acc / world : acc;
    }

    static double magnitudeSum(int world, Value v) {
        double acc = 0;
        for (int r = 0; r < world; r++) {
            acc += Math.abs(v.at(r));
        }
        return acc;
    }

    static byte[] bytes(UnsafeBuffer buffer, int length) {
        byte[] out = new byte[length];
        buffer.getBytes(0, out);
        return out;
    }
}
