package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.Optimizer;
import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.checkpoint.TrainingProgress;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small model states with pseudo-random contents, and saving them the way n ranks would. */
final class TestStates {
    /** About 4 MiB in tensors of mixed types and odd sizes, so shard boundaries cut through tensors. */
    static final StateLayout LAYOUT = StateLayout.of(
            spec("embedding", Dtype.DTYPE_FLOAT32, 512, 1024),
            spec("dense/weight", Dtype.DTYPE_FLOAT32, 1000, 500),
            spec("dense/bias", Dtype.DTYPE_FLOAT64, 1001),
            spec("adam/step", Dtype.DTYPE_INT64, 1),
            spec("norm/scale", Dtype.DTYPE_BFLOAT16, 3));

    private TestStates() {
    }

    static TensorSpec spec(String name, Dtype dtype, long... shape) {
        TensorSpec.Builder builder = TensorSpec.newBuilder().setName(name).setDtype(dtype);
        for (long dimension : shape) {
            builder.addShape(dimension);
        }
        return builder.build();
    }

    static ByteBuffer random(long bytes, long seed) {
        ByteBuffer state = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom random = new SplittableRandom(seed);
        while (state.remaining() >= Long.BYTES) {
            state.putLong(random.nextLong());
        }
        while (state.hasRemaining()) {
            state.put((byte) random.nextInt());
        }
        return state.flip();
    }

    static ByteBuffer copy(ByteBuffer source) {
        ByteBuffer copy = ByteBuffer.allocateDirect(source.remaining());
        copy.put(source.duplicate());
        return copy.flip();
    }

    static CheckpointManifest.Builder draft(String run, long step, int worldSize, StateLayout layout) {
        return Checkpoints.draft(run, step, worldSize, layout)
                .setProgress(TrainingProgress.newBuilder().setEpoch(step / 10).setSamplesConsumed(step * 256).addRngSeeds(42).addRngSeeds(step))
                .setOptimizer(Optimizer.newBuilder().setName("adam").putHyperParameters("lr", 1e-3).putHyperParameters("beta1", 0.9))
                .putRunConfig("model", "mlp").putRunConfig("global-batch", "256");
    }

    /** Saves {@code state} as ranks 0..n-1 would (one writer each) and returns their reports. */
    static List<ShardReport> saveShards(Checkpoints checkpoints, String run, long step, int worldSize, ByteBuffer state) {
        List<ShardReport> reports = new ArrayList<>();
        for (int rank = 0; rank < worldSize; rank++) {
            try (ShardWriter writer = checkpoints.writer(run)) {
                reports.add(writer.saveShard(step, rank, worldSize, state));
            }
        }
        return reports;
    }

    static CheckpointManifest saveAndCommit(Checkpoints checkpoints, String run, long step, int worldSize, ByteBuffer state) {
        return saveAndCommit(checkpoints, run, step, worldSize, state, LAYOUT);
    }

    static CheckpointManifest saveAndCommit(Checkpoints checkpoints, String run, long step, int worldSize, ByteBuffer state,
                                            StateLayout layout) {
        return checkpoints.commit(draft(run, step, worldSize, layout).build(), saveShards(checkpoints, run, step, worldSize, state));
    }

    static void assertSameBytes(ByteBuffer expected, ByteBuffer actual, String what) {
        assertEquals(expected.remaining(), actual.remaining(), what + ": size");
        assertEquals(-1, expected.duplicate().mismatch(actual.duplicate()), what + ": first differing byte");
    }
}
