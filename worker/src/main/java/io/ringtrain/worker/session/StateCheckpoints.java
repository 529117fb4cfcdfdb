package io.ringtrain.worker.session;

import io.ringtrain.checkpoint.StateLayout;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.Optimizer;
import io.ringtrain.protocol.checkpoint.TrainingProgress;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.model.Arena;
import io.ringtrain.worker.model.ElementType;
import io.ringtrain.worker.model.TensorLayout;
import io.ringtrain.worker.train.Replica;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates between a replica's state arena and the checkpoint library's vocabulary: the arena's tensors as a
 * {@link StateLayout}, and the manifest's description of the run (progress, optimizer, configuration).
 */
final class StateCheckpoints {
    private StateCheckpoints() {
    }

    /** The state arena's tensors, in arena order; the checkpoint library lays them out back to back, as the arena does. */
    static StateLayout layoutOf(Arena state) {
        List<TensorSpec> specs = new ArrayList<>();
        for (TensorLayout t : state.layout()) {
            TensorSpec.Builder spec = TensorSpec.newBuilder().setName(t.name()).setDtype(dtype(t.elementType()));
            for (long d : t.shape()) {
                spec.addShape(d);
            }
            specs.add(spec.build());
        }
        StateLayout layout = StateLayout.of(specs);
        if (layout.totalBytes() != state.byteLength()) {
            throw new IllegalStateException("the state arena (" + state.byteLength() + " bytes) is not packed the way"
                    + " checkpoints lay tensors out (" + layout.totalBytes() + " bytes)");
        }
        return layout;
    }

    private static Dtype dtype(ElementType type) {
        return switch (type) {
            case FLOAT32 -> Dtype.DTYPE_FLOAT32;
            case FLOAT64 -> Dtype.DTYPE_FLOAT64;
            case INT64 -> Dtype.DTYPE_INT64;
        };
    }

    /** The manifest draft every rank sends with its shard: layout plus what a resumed run needs to know. */
    static CheckpointManifest draft(RunSettings run, Replica replica, long step, int worldSize, StateLayout layout) {
        io.ringtrain.worker.optim.Optimizer optimizer = replica.optimizer();
        return io.ringtrain.checkpoint.Checkpoints.draft(run.runId(), step, worldSize, layout)
                .setProgress(TrainingProgress.newBuilder()
                        .setEpoch(replica.position().epoch())
                        .setSamplesConsumed(replica.position().samplesConsumed())
                        .addRngSeeds(run.seed()))
                .setOptimizer(Optimizer.newBuilder().setName(optimizer.name()).putHyperParameters("learning_rate", run.learningRate()))
                .putAllRunConfig(run.resultConfig())
                .build();
    }
}
