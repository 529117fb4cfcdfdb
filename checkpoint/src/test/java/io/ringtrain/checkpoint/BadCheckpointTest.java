package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Damage the newer of two checkpoints in every way the issue lists; the older one must still be found and restored. */
@Timeout(60)
class BadCheckpointTest extends StoreTestBase {
    private static final String RUN = "run1";

    private Checkpoints checkpoints;
    private ByteBuffer olderState;
    private CheckpointManifest newer;

    @AfterEach
    void close() {
        if (checkpoints != null) {
            checkpoints.close();
        }
    }

    private void commitTwo(Backend backend) {
        checkpoints = openNew(backend);
        olderState = TestStates.random(TestStates.LAYOUT.totalBytes(), 30);
        TestStates.saveAndCommit(checkpoints, RUN, 10, 4, olderState);
        newer = TestStates.saveAndCommit(checkpoints, RUN, 20, 4, TestStates.random(TestStates.LAYOUT.totalBytes(), 31));
    }

    private String shardKey(int rank) {
        return CheckpointKeys.shard(RUN, 20, rank, 4);
    }

    private String manifestKey() {
        return CheckpointKeys.manifest(RUN, 20);
    }

    private void assertLatestFallsBackToOlder() {
        assertEquals(10, checkpoints.latest(RUN).orElseThrow().getStep());
        assertRestoreLatestFallsBackToOlder();
    }

    private void assertRestoreLatestFallsBackToOlder() {
        ByteBuffer restored = ByteBuffer.allocateDirect((int) TestStates.LAYOUT.totalBytes());
        assertEquals(10, checkpoints.restoreLatest(RUN, restored).orElseThrow().getStep());
        assertSameBytes(olderState, restored.flip(), "state restored from the older checkpoint");
    }

    private String restoreError(CheckpointManifest manifest) {
        return assertThrows(CheckpointException.class, () -> checkpoints.restore(manifest)).getMessage();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void shardWithWrongChecksumFailsRestoreNamingShardAndChecksums(Backend backend) {
        commitTwo(backend);
        ByteBuffer bytes = checkpoints.store().readAll(shardKey(2));
        bytes.put(1234, (byte) ~bytes.get(1234));
        checkpoints.store().put(shardKey(2), bytes);

        String message = restoreError(newer);
        assertTrue(message.contains(checkpoints.store().locate(shardKey(2))) && message.contains("corrupt")
                && message.contains("manifest says " + StateReader.hex(newer.getShards(2).getCrc32C())), message);
        VerifyReport report = checkpoints.verify(newer);
        assertFalse(report.passed());
        assertEquals(1, report.problems().size());
        assertFalse(report.shards().get(2).ok());
        // latest() checks manifests and shard sizes without reading shard data; the restore catches the corruption,
        // and latestVerified() (where a resumed run starts) reads the shards and falls back.
        assertEquals(20, checkpoints.latest(RUN).orElseThrow().getStep());
        assertEquals(10, checkpoints.latestVerified(RUN).orElseThrow().getStep());
        assertRestoreLatestFallsBackToOlder();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void truncatedShardIsReportedWithExpectedAndActualSize(Backend backend) {
        commitTwo(backend);
        ByteBuffer bytes = checkpoints.store().readAll(shardKey(1));
        long full = bytes.remaining();
        checkpoints.store().put(shardKey(1), bytes.limit(bytes.limit() - 100));

        String message = assertThrows(CheckpointException.class, () -> checkpoints.manifest(RUN, 20)).getMessage();
        assertTrue(message.contains(checkpoints.store().locate(shardKey(1)) + " is " + (full - 100)
                + " bytes, manifest expects " + full + " (truncated)"), message);
        assertTrue(restoreError(newer).contains("(truncated)"));
        assertLatestFallsBackToOlder();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void missingShardIsReportedByName(Backend backend) {
        commitTwo(backend);
        checkpoints.store().delete(shardKey(3));

        String message = assertThrows(CheckpointException.class, () -> checkpoints.manifest(RUN, 20)).getMessage();
        assertTrue(message.contains("shard " + checkpoints.store().locate(shardKey(3)) + " is missing"), message);
        assertTrue(restoreError(newer).contains("is missing"));
        assertLatestFallsBackToOlder();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void unparsableManifestIsReportedAndSkipped(Backend backend) {
        commitTwo(backend);
        checkpoints.store().put(manifestKey(), ByteBuffer.wrap("{\"this is\": \"not a manifest\"}".getBytes(StandardCharsets.UTF_8)));

        String message = assertThrows(CheckpointException.class, () -> checkpoints.manifest(RUN, 20)).getMessage();
        assertTrue(message.startsWith(checkpoints.store().locate(manifestKey())), message);
        assertTrue(message.contains("does not parse as a checkpoint manifest") || message.contains("is not a checkpoint manifest"), message);
        assertLatestFallsBackToOlder();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void manifestWorldSizeDifferentFromItsShardsIsReported(Backend backend) {
        commitTwo(backend);
        checkpoints.store().put(manifestKey(), ManifestFormat.encode(newer.toBuilder().setWorldSize(3).build()));
        String message = assertThrows(CheckpointException.class, () -> checkpoints.manifest(RUN, 20)).getMessage();
        assertTrue(message.contains("names world size 3 but lists 4 shard(s)"), message);
        assertLatestFallsBackToOlder();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void manifestForThreeRanksOverShardsOfFourIsReported(Backend backend) {
        commitTwo(backend);
        CheckpointManifest.Builder forThree = newer.toBuilder().setWorldSize(3).clearShards();
        for (int rank = 0; rank < 3; rank++) {
            ByteRange range = ShardSplit.range(newer.getStateBytes(), 3, rank);
            forThree.addShards(ShardEntry.newBuilder().setRank(rank).setObjectName(CheckpointKeys.shardName(rank, 3))
                    .setByteOffset(range.offset()).setByteLength(range.length()));
        }
        checkpoints.store().put(manifestKey(), ManifestFormat.encode(forThree.build()));

        String message = assertThrows(CheckpointException.class, () -> checkpoints.manifest(RUN, 20)).getMessage();
        assertTrue(message.contains("(world size 3) is not restorable") && message.contains("shard-0-of-3.bin is missing")
                && message.contains("shards of another world size [shard-0-of-4.bin"), message);
        assertLatestFallsBackToOlder();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void manifestFromANewerFormatIsRejectedWithUpgradeAdvice(Backend backend) {
        commitTwo(backend);
        checkpoints.store().put(manifestKey(), ManifestFormat.encode(newer.toBuilder().setFormatVersion(ManifestFormat.CURRENT_VERSION + 1).build()));
        String message = assertThrows(CheckpointException.class, () -> checkpoints.manifest(RUN, 20)).getMessage();
        assertTrue(message.contains("format version " + (ManifestFormat.CURRENT_VERSION + 1)) && message.contains("upgrade"), message);
        assertLatestFallsBackToOlder();
    }
}
