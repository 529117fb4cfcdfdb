package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import io.ringtrain.protocol.common.Dtype;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class SaveRestoreTest extends StoreTestBase {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void stateSavedByFourRanksRestoresByteForByteAtAnyWorldSize(Backend backend) {
        try (Checkpoints checkpoints = openNew(backend)) {
            ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 1);
            TestStates.saveAndCommit(checkpoints, "run1", 100, 4, state);
            CheckpointManifest latest = checkpoints.latest("run1").orElseThrow();

            assertSameBytes(state, checkpoints.restore(latest), "full restore");
            for (int worldSize : new int[] {4, 3, 2, 1, 8}) {
                ByteBuffer assembled = ByteBuffer.allocateDirect((int) latest.getStateBytes());
                for (int rank = 0; rank < worldSize; rank++) {
                    checkpoints.restoreShard(latest, rank, worldSize, assembled);
                }
                assertSameBytes(state, assembled.flip(), "ranges restored by " + worldSize + " ranks");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void oddSizedStateSavedByThreeRanksRestoresAtEight(Backend backend) {
        StateLayout layout = StateLayout.of(TestStates.spec("odd", Dtype.DTYPE_BFLOAT16, 7, 99_991));
        try (Checkpoints checkpoints = openNew(backend)) {
            ByteBuffer state = TestStates.random(layout.totalBytes(), 2);
            TestStates.saveAndCommit(checkpoints, "odd", 3, 3, state, layout);
            CheckpointManifest manifest = checkpoints.latest("odd").orElseThrow();
            ByteBuffer assembled = ByteBuffer.allocateDirect((int) layout.totalBytes());
            for (int rank = 0; rank < 8; rank++) {
                checkpoints.restoreShard(manifest, rank, 8, assembled);
            }
            assertSameBytes(state, assembled.flip(), "restored by 8 ranks");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void manifestRecordsLayoutShardsChecksumsAndResumeState(Backend backend) {
        try (Checkpoints checkpoints = openNew(backend)) {
            ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 3);
            long before = System.currentTimeMillis();
            TestStates.saveAndCommit(checkpoints, "run1", 120, 4, state);
            CheckpointManifest m = checkpoints.manifest("run1", 120);

            assertEquals(ManifestFormat.CURRENT_VERSION, m.getFormatVersion());
            assertEquals("run1", m.getRunId());
            assertEquals(120, m.getStep());
            assertEquals(4, m.getWorldSize());
            assertEquals(TestStates.LAYOUT.tensors(), m.getTensorsList());
            assertEquals(TestStates.LAYOUT.totalBytes(), m.getStateBytes());
            assertEquals(12, m.getProgress().getEpoch());
            assertEquals(120 * 256, m.getProgress().getSamplesConsumed());
            assertEquals(List.of(42L, 120L), m.getProgress().getRngSeedsList());
            assertEquals("adam", m.getOptimizer().getName());
            assertEquals(1e-3, m.getOptimizer().getHyperParametersOrThrow("lr"));
            assertEquals("mlp", m.getRunConfigOrThrow("model"));
            assertTrue(m.getCreatedAtUnixMs() >= before && m.getCreatedAtUnixMs() <= System.currentTimeMillis());
            for (ShardEntry shard : m.getShardsList()) {
                ByteRange range = ShardSplit.range(m.getStateBytes(), 4, shard.getRank());
                assertEquals(range.offset(), shard.getByteOffset());
                assertEquals(range.length(), shard.getByteLength());
                CRC32C crc = new CRC32C();
                crc.update(state.duplicate().position((int) range.offset()).limit((int) range.end()));
                assertEquals((int) crc.getValue(), shard.getCrc32C(), "crc32c of shard " + shard.getRank());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void rangeRestoreVerifiesExactlyTheShardsItReadsWhole(Backend backend) {
        try (Checkpoints checkpoints = openNew(backend)) {
            ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 4);
            CheckpointManifest m = TestStates.saveAndCommit(checkpoints, "run1", 1, 4, state);
            ShardEntry second = m.getShards(1);
            // All of shard 1 plus the first 1000 bytes of shard 2.
            ByteRange range = new ByteRange(second.getByteOffset(), second.getByteLength() + 1000);
            ByteBuffer part = ByteBuffer.allocateDirect((int) range.length());

            assertEquals(1, checkpoints.restoreRange(m, range, part));
            assertSameBytes(state.duplicate().position((int) range.offset()).limit((int) range.end()), part.flip(), "range");
        }
    }
}
