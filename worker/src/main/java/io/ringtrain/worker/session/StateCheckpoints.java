package io.ringtrain.worker.session;

import io.ringtrain.checkpoint.StateLayout;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.Optimizer;
import io.ringtrain.protocol.checkpoint.TensorEntry;
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
import java.util.Optional;

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

    /**
     * Why a checkpoint's state cannot be read into this replica's state arena, naming the first tensor that differs,
     * or empty when the layouts are the same.
     *
     * <p>Checkpoints written before ringtrain used ND4J's optimizers: Adam's ({@code optim/m/*}, {@code optim/v/*}, the
     * step count) have the same layout and meaning as ND4J's Adam and restore; SGD's ({@code optim/velocity/*}, a
     * heavy-ball velocity without the learning rate, {@code p -= lr * v}) has no ND4J counterpart: ND4J's Nesterovs
     * keeps {@code v = momentum * v - lr * g} and takes a Nesterov step, so that velocity would be read as another
     * quantity and the run would not continue the same way. Those are refused with that reason.
     */
    static Optional<String> whyNotRestorable(StateLayout saved, StateLayout mine) {
        if (saved.tensors().equals(mine.tensors())) {
            return Optional.empty();
        }
        if (saved.tensors().stream().anyMatch(t -> t.getSpec().getName().startsWith(LEGACY_SGD_SLOT))) {
            return Optional.of("it was written by ringtrain's own SGD with heavy-ball momentum (state "
                    + LEGACY_SGD_SLOT + "*), from before ringtrain used ND4J's optimizers; ND4J has no optimizer that"
                    + " continues that velocity the same way (its Nesterovs keeps v = momentum*v - lr*g and steps"
                    + " differently), so resuming it would not continue the same run: start a new run (--run-id), or"
                    + " resume with the ringtrain version that wrote it");
        }
        List<TensorEntry> a = saved.tensors();
        List<TensorEntry> b = mine.tensors();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            TensorEntry theirs = i < a.size() ? a.get(i) : null;
            TensorEntry ours = i < b.size() ? b.get(i) : null;
            if (theirs == null || !theirs.equals(ours)) {
                return Optional.of("the saved state differs at tensor #" + i + ": " + describe(theirs)
                        + " in the checkpoint, " + describe(ours) + " here; resume with the model, its -O options and"
                        + " the optimizer the run was started with");
            }
        }
        return Optional.empty();
    }

    /** Where ringtrain's hand-written SGD kept its momentum, before ND4J's optimizers. */
    static final String LEGACY_SGD_SLOT = "optim/velocity/";

    private static String describe(TensorEntry t) {
        return t == null ? "nothing" : t.getSpec().getName() + " " + t.getSpec().getDtype() + t.getSpec().getShapeList();
    }

    /** The manifest draft every rank sends with its shard: layout plus what a resumed run needs to know. */
    static CheckpointManifest draft(RunSettings run, Replica replica, long step, int worldSize, StateLayout layout) {
        io.ringtrain.worker.optim.Optimizer optimizer = replica.optimizer();
        Optimizer.Builder described = Optimizer.newBuilder().setName(optimizer.name()).putAllHyperParameters(optimizer.hyperParameters());
        return io.ringtrain.checkpoint.Checkpoints.draft(run.runId(), step, worldSize, layout)
                .setProgress(TrainingProgress.newBuilder()
                        .setEpoch(replica.position().epoch())
                        .setSamplesConsumed(replica.position().samplesConsumed())
                        .addRngSeeds(run.seed()))
                .setOptimizer(described)
                .putAllRunConfig(run.resultConfig())
                .build();
    }
}
