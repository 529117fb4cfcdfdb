package io.ringtrain.worker.exchange;

import io.ringtrain.worker.StepResult;

import io.ringtrain.allreduce.Communicator;
import io.ringtrain.allreduce.FusionContext;
import io.ringtrain.allreduce.TestRing;
import io.ringtrain.worker.model.builtin.MlpClassifier;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.Replica;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Not part of the suite (the name does not match surefire's test patterns): prints the per-step time split of
 * data-parallel training for W = 1, 2, 4 ranks in this JVM over loopback UDP. Run it explicitly:
 * {@code mvn -B -q -pl worker -am test -Dtest=ExchangeTimingMeasurement -Dsurefire.failIfNoSpecifiedTests=false},
 * then read {@code worker/target/surefire-reports/io.ringtrain.worker.exchange.ExchangeTimingMeasurement-output.txt}.
 * All ranks share this machine's cores, so the figures show the mechanism's costs, not a cluster's. Path "auto"
 * lets the data plane send small buckets directly to every peer; "ring only" sends everything round the ring.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ExchangeTimingMeasurement {
    private static final int GLOBAL_BATCH = 256;
    private static final int STEPS = 50;
    private static final int WARM_UP = 5;

    private record Model(String name, List<Integer> hidden, long smallBuckets) {
    }

    @Test
    void printStepTimeSplit() {
        List<Model> models = List.of(new Model("mlp 32-64-64-10 (default)", List.of(64, 64), 8 << 10),
                new Model("mlp 32-512-512-10", List.of(512, 512), 256 << 10));
        System.out.println("model | W | path | buckets | bytes/step | compute ms | all-reduce wait ms | optimizer ms | step ms");
        for (Model model : models) {
            for (int world : new int[] {1, 2, 4}) {
                for (boolean ringPath : world == 1 ? new boolean[] {false} : new boolean[] {false, true}) {
                    for (long buckets : new long[] {FusionContext.DEFAULT_BUCKET_BYTES, model.smallBuckets()}) {
                        measure(model, world, ringPath, buckets);
                    }
                }
            }
        }
    }

    private static void measure(Model model, int world, boolean ringPath, long bucketBytes) {
        try (TestRing ring = ringPath ? TestRing.udp(world, ctx -> ctx.smallMessageThreshold(0)) : TestRing.udp(world)) {
            List<DataParallelStep> steps = new ArrayList<>();
            for (Communicator comm : ring.comms) {
                MlpClassifier mlp = new MlpClassifier(new MlpClassifier.Config(1, 32, model.hidden(), 10, 64, 16_384, 16));
                steps.add(new DataParallelStep(Replica.create(mlp, Optimizers.byName("adam"), 1, GLOBAL_BATCH), comm,
                        new FusionContext().bucketBytes(bucketBytes)));
            }
            List<List<StepResult>> results = run(steps);
            List<StepResult> rank0 = results.get(0).subList(WARM_UP, STEPS);
            System.out.printf(Locale.ROOT, "%s | %d | %s | %d | %d | %s | %s | %s | %s%n", model.name(), world,
                    world == 1 ? "-" : ringPath ? "ring only" : "auto", steps.get(0).buckets().size(),
                    steps.get(0).bytesPerStep(), median(rank0, StepResult::computeNanos),
                    median(rank0, StepResult::allReduceWaitNanos), median(rank0, StepResult::optimizerNanos),
                    median(rank0, StepResult::totalNanos));
        }
    }

    private static List<List<StepResult>> run(List<DataParallelStep> steps) {
        ExecutorService threads = Executors.newFixedThreadPool(steps.size());
        try {
            List<Future<List<StepResult>>> running = new ArrayList<>();
            for (DataParallelStep step : steps) {
                running.add(threads.submit(() -> {
                    List<StepResult> mine = new ArrayList<>();
                    for (int s = 0; s < STEPS; s++) {
                        mine.add(step.run());
                    }
                    return mine;
                }));
            }
            List<List<StepResult>> results = new ArrayList<>();
            for (Future<List<StepResult>> rank : running) {
                results.add(rank.get(5, TimeUnit.MINUTES));
            }
            return results;
        } catch (Exception e) {
            throw new AssertionError("measurement failed: " + e, e);
        } finally {
            threads.shutdownNow();
        }
    }

    private static String median(List<StepResult> results, ToLongFunction<StepResult> part) {
        long[] values = results.stream().mapToLong(part).sorted().toArray();
        return String.format(Locale.ROOT, "%.2f", values[values.length / 2] / 1e6);
    }
}
