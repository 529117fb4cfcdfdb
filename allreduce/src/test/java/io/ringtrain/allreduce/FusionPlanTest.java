package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Zero-copy fusion over real data planes (loopback UDP, one media driver per rank). Each test drives all ranks
 * from one thread: reporting and finishing never block, and waiting on rank 0 drives rank 0 while the other
 * ranks' data-plane threads drive theirs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FusionPlanTest {
    private static final RingsByWorld RINGS = new RingsByWorld();
    /** Element counts: empty tensors, odd sizes, and one of 5000 floats, larger than the 4 KiB buckets. */
    private static final int[] MODEL = {3, 1000, 0, 257, 5000, 1, 64, 0, 700};

    @AfterAll
    static void closeRings() {
        RINGS.close();
    }

    private static FusionContext buckets(long bytes) {
        return new FusionContext().bucketBytes(bytes);
    }

    private static void reportAll(FusionPlan plan, List<Integer> order) {
        order.forEach(plan::ready);
    }

    private static List<Integer> backward(int tensors) {
        return IntStream.range(0, tensors).map(i -> tensors - 1 - i).boxed().toList();
    }

    private static List<Integer> oddsAfterEvens(int tensors) {
        List<Integer> order = new ArrayList<>();
        IntStream.range(0, tensors).filter(i -> i % 2 == 0).forEach(order::add);
        IntStream.range(0, tensors).filter(i -> i % 2 == 1).forEach(order::add);
        return order;
    }

    @Test
    void everyWorldSizeGetsExactSumsStepAfterStep() {
        for (int world = 1; world <= 4; world++) {
            FusedRanks ranks = new FusedRanks(RINGS.get(world), MODEL, buckets(4096));
            FusedRanks.assertBuckets(4, ranks.plans[0]);
            for (int step = 0; step < 3; step++) {
                ranks.fill(100L * world + step);
                for (FusionPlan plan : ranks.plans) {
                    reportAll(plan, backward(ranks.tensorCount()));
                }
                ranks.finishAndCheck("W=" + world + " step " + step);
            }
        }
    }

    @Test
    void ranksReportingInDifferentOrdersStillSubmitBucketsInOneOrder() {
        // Ten buckets, four of them 1 KiB each: if ranks submitted buckets in the order they filled, equal sizes
        // would silently sum the wrong tensors and different sizes would fail as a Mismatch.
        int[] model = {256, 256, 256, 256, 100, 300, 512, 1, 64, 64, 700, 5};
        TestRing ring = RINGS.get(4);
        FusedRanks ranks = new FusedRanks(ring, model, buckets(1024));
        int n = ranks.tensorCount();
        FusedRanks.assertBuckets(10, ranks.plans[0]);
        FusionBucket first = ranks.plans[0].buckets().get(0);
        Random random = new Random(7);
        for (int step = 0; step < 4; step++) {
            ranks.fill(step);
            List<Integer> shuffled = new ArrayList<>(IntStream.range(0, n).boxed().toList());
            Collections.shuffle(shuffled, random);
            List<List<Integer>> orders = List.of(IntStream.range(0, n).boxed().toList(), backward(n), shuffled,
                    oddsAfterEvens(n));
            for (int r = 0; r < ring.world(); r++) {
                List<Integer> order = orders.get((r + step) % orders.size());
                FusionPlan plan = ranks.plans[r];
                reportAll(plan, order.subList(0, n - 1));
                int lastReported = order.get(n - 1);
                if (lastReported >= first.firstTensor() && lastReported <= first.lastTensor()) {
                    // Bucket 0 is incomplete: nothing may start, however many later buckets are full.
                    assertEquals(0, plan.bucketsSubmitted(), "rank " + r + ", step " + step + ", order " + order);
                }
                plan.ready(lastReported);
                assertEquals(10, plan.bucketsSubmitted(), "every bucket starts once every tensor is reported");
            }
            ranks.finishAndCheck("step " + step + " with a different report order on every rank");
        }
    }

    @Test
    void tensorLargerThanTheDirectPathGoesRoundTheRingAsItsOwnBucket() {
        // 100 000 floats: far past the direct-exchange limit and the 8 KiB bucket size.
        FusedRanks ranks = new FusedRanks(RINGS.get(3), new int[] {10, 100_000, 10}, buckets(8192));
        FusedRanks.assertBuckets(3, ranks.plans[0]);
        assertEquals(400_000, ranks.plans[0].buckets().get(1).byteLength());
        ranks.fill(3);
        ranks.finishAndCheck("oversized tensor, nothing reported (finish reports everything)");
    }

    @Test
    void manyTinyTensorsAndEmptyOnesAreReducedExactly() {
        int[] model = new int[3000];
        for (int i = 0; i < model.length; i++) {
            model[i] = i % 7 == 0 ? 0 : 1 + i % 3;
        }
        TestRing ring = RINGS.get(3);
        FusedRanks ranks = new FusedRanks(ring, model, buckets(1024));
        List<FusionBucket> buckets = ranks.plans[0].buckets();
        // 5142 floats. A bucket closes only when the next tensor (at most 12 bytes) would not fit.
        FusedRanks.assertBuckets(21, ranks.plans[0]);
        assertTrue(buckets.subList(0, 20).stream().allMatch(b -> b.byteLength() > 1024 - 12 && b.byteLength() <= 1024),
                buckets.toString());
        for (int step = 0; step < 2; step++) {
            ranks.fill(40 + step);
            for (FusionPlan plan : ranks.plans) {
                reportAll(plan, backward(model.length).subList(0, model.length / 2)); // the rest at finish
            }
            ranks.finishAndCheck("3000 tiny tensors, step " + step);
        }
        FusedRanks empty = new FusedRanks(ring, new int[] {0, 0, 0}, buckets(1024));
        empty.fill(1);
        empty.finishAndCheck("only empty tensors");
    }

    @Test
    void averageWithBf16OnTheWire() {
        FusionContext ctx = buckets(2048).reduceOp(ReduceOp.AVG).wireCompression(WireCompression.BF16);
        FusedRanks ranks = new FusedRanks(RINGS.get(4), MODEL, ctx);
        ranks.fill(5); // sums of four integers in [-16, 16] are exact in bf16, and a quarter of them in float
        ranks.finishAndCheck("AVG over bf16");
    }

    @Test
    void planFollowsTheRingIntoANewGenerationKeepingItsLayout() {
        try (TestRing ring = TestRing.udp(2)) {
            FusedRanks ranks = new FusedRanks(ring, MODEL, buckets(4096));
            ranks.fill(1);
            ranks.plans[0].ready(0); // a step half-reported when the ring re-forms must not leak into the next one
            List<FusionBucket> layout = ranks.plans[0].buckets();
            Communicator[] next = TestRing.join(ring.planes, 2);
            for (int r = 0; r < ring.world(); r++) {
                ranks.plans[r].communicator(next[r]);
                assertEquals(2, ranks.plans[r].communicator().generation());
            }
            assertEquals(layout, ranks.plans[0].buckets());
            ranks.fill(2);
            for (FusionPlan plan : ranks.plans) {
                reportAll(plan, backward(ranks.tensorCount()));
            }
            ranks.finishAndCheck("generation 2");
            ranks.plans[0].ready(3);
            var twice = assertThrows(IllegalStateException.class, () -> ranks.plans[0].ready(3));
            assertTrue(twice.getMessage().contains("reported ready twice"), twice.getMessage());
        }
    }

    @Test
    void lostPeerFailsTheStepWithACollectiveException() {
        try (TestRing ring = TestRing.udp(2)) {
            FusedRanks ranks = new FusedRanks(ring, MODEL, buckets(4096));
            ranks.fill(1);
            ranks.finishAndCheck("before the peer goes");
            ring.planes[1].close();
            long start = System.nanoTime();
            CompletableFuture<Void> step = ranks.plans[0].finish();
            ExecutionException e = assertThrows(ExecutionException.class, () -> step.get(30, TimeUnit.SECONDS));
            assertInstanceOf(CollectiveException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("lost rank 1"), "names the lost peer: " + e.getCause());
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(seconds < 10, "failed after " + seconds + " s; the collective timeout is 5 s");
        }
    }
}
