package io.ringtrain.worker.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import io.ringtrain.worker.optim.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * W replicas in one process standing in for a ring: the "all-reduce" adds the ranks' gradient
 * arenas in rank order and copies the sum to every rank, which is what the data plane does over
 * the network (up to its own summation order).
 */
final class SimulatedRing {
    private final List<Replica> replicas = new ArrayList<>();

    SimulatedRing(int worldSize, Supplier<Model> models, Optimizer optimizer, long seed, int globalBatch) {
        for (int rank = 0; rank < worldSize; rank++) {
            final Replica replica = Replica.create(models.get(), optimizer, seed, globalBatch);
            replica.shard(rank, worldSize);
            replicas.add(replica);
        }
    }

    /** One training step on every rank; returns the global mean loss. */
    double step() {
        double lossSum = 0;
        int samples = 0;
        for (Replica replica : replicas) {
            final GradientSum mine = replica.computeGradientSum(GradientSink.NONE);
            lossSum += mine.lossSum();
            samples += mine.samples();
        }
        final INDArray total = replicas.get(0).state().flatGradients();
        for (int rank = 1; rank < replicas.size(); rank++) {
            total.addi(replicas.get(rank).state().flatGradients());
        }
        for (int rank = 1; rank < replicas.size(); rank++) {
            replicas.get(rank).state().flatGradients().assign(total);
        }
        for (Replica replica : replicas) {
            replica.applyGradientSum();
        }
        if (samples != replicas.get(0).globalBatch()) {
            throw new AssertionError("ranks computed " + samples + " samples, expected the global batch "
                    + replicas.get(0).globalBatch());
        }
        return lossSum / samples;
    }

    Replica rank(int rank) {
        return replicas.get(rank);
    }

    int worldSize() {
        return replicas.size();
    }
}
