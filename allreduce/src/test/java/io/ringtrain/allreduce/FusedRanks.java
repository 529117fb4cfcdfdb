package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One fusion plan per rank of a {@link TestRing}, each over its own buffer of FLOAT32 tensors filled with small
 * integers: their sums are exact in any summation order (and survive bf16), so results compare exactly.
 */
final class FusedRanks {
    final TestRing ring;
    final List<TensorRange> tensors;
    final UnsafeBuffer[] buffers;
    final FusionPlan[] plans;
    private final int elements;
    private final ReduceOp op;
    private float[] expected;

    FusedRanks(TestRing ring, int[] elementCounts, FusionContext ctx) {
        this.ring = ring;
        this.op = ctx.reduceOp();
        List<TensorRange> ranges = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < elementCounts.length; i++) {
            ranges.add(new TensorRange("t" + i, DataType.FLOAT32, offset, (long) elementCounts[i] * Float.BYTES));
            offset += elementCounts[i] * Float.BYTES;
        }
        this.tensors = List.copyOf(ranges);
        this.elements = offset / Float.BYTES;
        this.buffers = new UnsafeBuffer[ring.world()];
        this.plans = new FusionPlan[ring.world()];
        for (int r = 0; r < ring.world(); r++) {
            buffers[r] = new UnsafeBuffer(ByteBuffer.allocateDirect(offset));
            plans[r] = new FusionPlan(buffers[r], tensors, ctx).communicator(ring.comms[r]);
        }
    }

    /** Fresh inputs on every rank; remembers the exact reduction. */
    void fill(long seed) {
        Random random = new Random(seed);
        double[] sum = new double[elements];
        for (int r = 0; r < ring.world(); r++) {
            for (int i = 0; i < elements; i++) {
                int value = random.nextInt(33) - 16;
                buffers[r].putFloat(i * Float.BYTES, value);
                sum[i] += value;
            }
        }
        expected = new float[elements];
        for (int i = 0; i < elements; i++) {
            expected[i] = op == ReduceOp.AVG ? (float) (sum[i] / ring.world()) : (float) sum[i];
        }
    }

    /** Finishes the step on every rank, then checks every rank holds exactly the reduction. */
    void finishAndCheck(String what) {
        List<CompletableFuture<Void>> steps = new ArrayList<>();
        for (FusionPlan plan : plans) {
            steps.add(plan.finish());
        }
        for (CompletableFuture<Void> step : steps) {
            await(step);
        }
        for (int r = 0; r < ring.world(); r++) {
            float[] actual = new float[elements];
            for (int i = 0; i < elements; i++) {
                actual[i] = buffers[r].getFloat(i * Float.BYTES);
            }
            assertArrayEquals(expected, actual, what + ": rank " + r + " of " + ring.world());
        }
    }

    static void await(CompletableFuture<Void> future) {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("a bucket all-reduce failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            throw new AssertionError("bucket all-reduces did not finish within 30 s", e);
        }
    }

    int tensorCount() {
        return tensors.size();
    }

    static void assertBuckets(int expected, FusionPlan plan) {
        assertEquals(expected, plan.buckets().size(), plan.buckets().toString());
    }
}
