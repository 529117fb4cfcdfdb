package io.ringtrain.worker.exchange;

import io.ringtrain.worker.StepResult;

import io.ringtrain.allreduce.Communicator;
import io.ringtrain.allreduce.FusionContext;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.Replica;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The built-in MLP trained data-parallel by one {@link DataParallelStep} per rank, each rank on a thread of its
 * own (its steps block on the ring), recording every step's result and the parameter bytes after it.
 */
final class TrainingRanks {
    static final long SEED = 1;

    final List<DataParallelStep> steps = new ArrayList<>();
    /** [rank][step] */
    final List<List<StepResult>> results = new ArrayList<>();
    /** [rank][step]: parameter bytes after the step */
    final List<List<byte[]>> parameters = new ArrayList<>();

    TrainingRanks(Communicator[] ring, int globalBatch, FusionContext fusion) {
        for (Communicator comm : ring) {
            Replica replica = Replica.create(ModelRegistry.create("mlp", SEED), Optimizers.byName("adam"), SEED, globalBatch);
            steps.add(fusion == null ? new DataParallelStep(replica, comm) : new DataParallelStep(replica, comm, fusion));
            results.add(new ArrayList<>());
            parameters.add(new ArrayList<>());
        }
    }

    /** Runs {@code count} steps on the first {@code ranks} ranks concurrently; fails if any rank fails. */
    void run(int ranks, int count) {
        ExecutorService threads = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                running.add(threads.submit(() -> {
                    for (int s = 0; s < count; s++) {
                        results.get(rank).add(steps.get(rank).run());
                        parameters.get(rank).add(parameterBytes(steps.get(rank).replica()));
                    }
                }));
            }
            for (Future<?> rank : running) {
                rank.get(90, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            throw new AssertionError("a rank failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("ranks did not finish " + count + " steps in time", e);
        } finally {
            threads.shutdownNow();
        }
    }

    static byte[] parameterBytes(Replica replica) {
        ByteBuffer state = replica.state().state().bytes();
        byte[] out = new byte[Math.toIntExact(replica.state().parameterBytes())];
        state.get(out);
        return out;
    }

    float[] finalParameters(int rank) {
        return steps.get(rank).replica().state().flatParameters().toFloatVector();
    }

    /**
     * Norm-wise relative difference {@code max|a - b| / max|a|}; element-wise relative error is too strict
     * once float32 summation-order noise has been amplified by many steps (see WorldSizeIndependenceTest).
     */
    static double relativeDifference(float[] a, float[] b) {
        return io.ringtrain.worker.model.ParameterDifference.maxRelative(a, b);
    }
}
