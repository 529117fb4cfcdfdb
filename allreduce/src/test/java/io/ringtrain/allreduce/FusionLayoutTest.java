package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** How a plan groups tensors into buckets, and what it refuses; no data plane needed. */
class FusionLayoutTest {

    /** Tensors of the given byte lengths, packed back to back from offset 0. */
    static List<TensorRange> packed(DataType type, long... byteLengths) {
        List<TensorRange> tensors = new ArrayList<>();
        long offset = 0;
        for (int i = 0; i < byteLengths.length; i++) {
            tensors.add(new TensorRange("t" + i, type, offset, byteLengths[i]));
            offset += byteLengths[i];
        }
        return tensors;
    }

    static UnsafeBuffer buffer(int bytes) {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(bytes));
    }

    static FusionPlan plan(int capacity, List<TensorRange> tensors, long bucketBytes) {
        return new FusionPlan(buffer(capacity), tensors, new FusionContext().bucketBytes(bucketBytes));
    }

    @Test
    void bucketsFormFromTheLastTensorBackwards() {
        FusionPlan plan = plan(2000, packed(DataType.FLOAT32, 400, 400, 400, 400, 400), 800);
        List<FusionBucket> buckets = plan.buckets();
        assertEquals(List.of(new FusionBucket(0, 3, 4, 1200, 800), new FusionBucket(1, 1, 2, 400, 800),
                new FusionBucket(2, 0, 0, 0, 400)), buckets);
        assertEquals(2000, plan.bytesPerStep());
    }

    @Test
    void tensorLargerThanABucketIsABucketByItself() {
        FusionPlan plan = plan(6000, packed(DataType.FLOAT32, 100, 5000, 100), 1000);
        assertEquals(List.of(new FusionBucket(0, 2, 2, 5100, 100), new FusionBucket(1, 1, 1, 100, 5000),
                new FusionBucket(2, 0, 0, 0, 100)), plan.buckets());
    }

    @Test
    void defaultBucketHoldsAWholeSmallModel() {
        FusionPlan plan = new FusionPlan(buffer(27_688), packed(DataType.FLOAT32, 8192, 256, 16384, 256, 2560, 40),
                new FusionContext());
        assertEquals(List.of(new FusionBucket(0, 0, 5, 0, 27_688)), plan.buckets());
    }

    @Test
    void tensorsThatAreNotBackToBackAreNeverFused() {
        List<TensorRange> tensors = List.of(new TensorRange("a", DataType.FLOAT64, 0, 64),
                new TensorRange("b", DataType.FLOAT64, 128, 64), new TensorRange("c", DataType.FLOAT64, 192, 64));
        FusionPlan plan = new FusionPlan(buffer(256), tensors, new FusionContext().dataType(DataType.FLOAT64));
        // The gap [64, 128) is not a tensor's: reducing it in place could corrupt whatever lives there.
        assertEquals(List.of(new FusionBucket(0, 1, 2, 128, 128), new FusionBucket(1, 0, 0, 0, 64)), plan.buckets());
    }

    @Test
    void emptyTensorsJoinTheOpenBucketWhereverTheyPoint() {
        List<TensorRange> tensors = new ArrayList<>(packed(DataType.FLOAT32, 0, 40, 0, 40, 0));
        tensors.set(2, new TensorRange("empty-elsewhere", DataType.FLOAT32, 0, 0));
        FusionPlan plan = plan(80, tensors, 1024);
        assertEquals(List.of(new FusionBucket(0, 0, 4, 0, 80)), plan.buckets());

        FusionPlan onlyEmpty = plan(0, packed(DataType.FLOAT32, 0, 0, 0), 1024);
        assertEquals(List.of(new FusionBucket(0, 0, 2, 0, 0)), onlyEmpty.buckets());
        assertEquals(0, plan(0, List.of(), 1024).buckets().size());
    }

    @Test
    void manyTinyTensorsFillBucketsUpToTheLimit() {
        long[] lengths = new long[1000];
        java.util.Arrays.fill(lengths, 12);
        List<FusionBucket> buckets = plan(12_000, packed(DataType.FLOAT32, lengths), 1024).buckets();
        assertEquals(12, buckets.size()); // 85 tensors (1020 bytes) per bucket, 65 in the last
        assertTrue(buckets.stream().allMatch(b -> b.byteLength() <= 1024));
        assertEquals(65 * 12, buckets.get(11).byteLength());
        assertEquals(12_000, buckets.stream().mapToInt(FusionBucket::byteLength).sum());
    }

    @Test
    void overlappingTensorsAreRefused() {
        List<TensorRange> tensors = List.of(new TensorRange("w", DataType.FLOAT32, 0, 400),
                new TensorRange("b", DataType.FLOAT32, 396, 8));
        var e = assertThrows(IllegalArgumentException.class, () -> plan(1000, tensors, 1024));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("'b'") && e.getMessage().contains("overlap"),
                e.getMessage());
    }

    @Test
    void tensorOutsideTheBufferIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> plan(100, packed(DataType.FLOAT32, 80, 40), 1024));
        assertTrue(e.getMessage().contains("'t1'") && e.getMessage().contains("outside the buffer of 100 bytes"),
                e.getMessage());
    }

    @Test
    void mixedTypesAreRefused() {
        List<TensorRange> tensors = List.of(new TensorRange("w", DataType.FLOAT32, 0, 400),
                new TensorRange("steps", DataType.FLOAT64, 400, 8));
        var e = assertThrows(IllegalArgumentException.class, () -> plan(408, tensors, 1024));
        assertTrue(e.getMessage().contains("'steps'") && e.getMessage().contains("FLOAT64")
                && e.getMessage().contains("one plan per type"), e.getMessage());
    }

    @Test
    void negativeAndRaggedSizesAreRefused() {
        var negative = assertThrows(IllegalArgumentException.class,
                () -> new TensorRange("w", DataType.FLOAT32, 0, -4));
        assertTrue(negative.getMessage().contains("must not be negative"), negative.getMessage());
        var ragged = assertThrows(IllegalArgumentException.class, () -> new TensorRange("w", DataType.FLOAT32, 0, 6));
        assertTrue(ragged.getMessage().contains("not a whole number of FLOAT32 elements"), ragged.getMessage());
    }

    @Test
    void badSettingsAreRefused() {
        var tooSmall = assertThrows(IllegalArgumentException.class, () -> new FusionContext().bucketBytes(2).conclude());
        assertTrue(tooSmall.getMessage().contains("bucket size 2 bytes"), tooSmall.getMessage());
        var ragged = assertThrows(IllegalArgumentException.class,
                () -> new FusionContext().dataType(DataType.FLOAT64).bucketBytes(1020).conclude());
        assertTrue(ragged.getMessage().contains("multiple of the FLOAT64 element size"), ragged.getMessage());
        var bf16 = assertThrows(IllegalArgumentException.class, () -> new FusionContext().dataType(DataType.FLOAT64)
                .wireCompression(WireCompression.BF16).conclude());
        assertTrue(bf16.getMessage().contains("bf16 wire compression is for FLOAT32"), bf16.getMessage());
    }

    @Test
    void reportingATensorTwiceOrWithoutARingIsACallerBug() {
        FusionPlan plan = plan(800, packed(DataType.FLOAT32, 400, 400), 1024);
        var noRing = assertThrows(IllegalStateException.class, () -> plan.ready(0));
        assertTrue(noRing.getMessage().contains("call communicator(ring) first"), noRing.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> plan.ready(2));
    }
}
