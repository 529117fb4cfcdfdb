package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.common.Dtype;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class CommitTest {
    @TempDir
    Path dir;
    private Checkpoints checkpoints;
    private List<ShardReport> reports;
    private CheckpointManifest draft;

    @BeforeEach
    void saveFourShards() {
        checkpoints = Checkpoints.open(DirectoryStore.open(dir), new Checkpoints.Context());
        reports = TestStates.saveShards(checkpoints, "run1", 50, 4, TestStates.random(TestStates.LAYOUT.totalBytes(), 20));
        draft = TestStates.draft("run1", 50, 4, TestStates.LAYOUT).build();
    }

    @AfterEach
    void close() {
        checkpoints.close();
    }

    private String refused(List<ShardReport> offered) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> checkpoints.commit(draft, offered));
        assertTrue(checkpoints.latest("run1").isEmpty(), "a refused commit wrote a manifest");
        return e.getMessage();
    }

    @Test
    void commitWithAReportMissingIsRefusedNamingTheRank() {
        List<ShardReport> three = new ArrayList<>(reports);
        three.remove(2);
        String message = refused(three);
        assertTrue(message.contains("have 3 of 4 shard reports; missing ranks [2]"), message);
    }

    @Test
    void commitWithARankReportedTwiceIsRefused() {
        List<ShardReport> doubled = new ArrayList<>(reports);
        doubled.set(3, reports.get(1));
        assertTrue(refused(doubled).contains("rank 1 arrived twice"));
    }

    @Test
    void commitWithAReportOfAnotherStepOrWorldSizeIsRefused() {
        List<ShardReport> mixed = new ArrayList<>(reports);
        mixed.set(0, reports.get(0).toBuilder().setStep(49).build());
        assertTrue(refused(mixed).contains("is for run run1 step 49 world size 4, expected run run1 step 50 world size 4"));

        mixed.set(0, reports.get(0).toBuilder().setWorldSize(3).build());
        assertTrue(refused(mixed).contains("world size 3, expected"));
    }

    @Test
    void commitWhoseRangesDoNotTileTheStateIsRefused() {
        List<ShardReport> gapped = new ArrayList<>(reports);
        ShardReport r1 = reports.get(1);
        gapped.set(1, r1.toBuilder().setByteOffset(r1.getByteOffset() + 1).setByteLength(r1.getByteLength() - 1).build());
        assertTrue(refused(gapped).contains("shards must tile the state"));
    }

    @Test
    void commitWhoseStateSizeDisagreesWithTheTensorsIsRefused() {
        draft = TestStates.draft("run1", 50, 4, StateLayout.of(TestStates.spec("small", Dtype.DTYPE_FLOAT32, 10))).build();
        assertTrue(refused(reports).contains("but the draft's tensors add up to 40"));
    }

    @Test
    void commitIsRefusedWhenAReportedShardIsNotInTheStore() {
        checkpoints.store().delete(CheckpointKeys.shard("run1", 50, 2, 4));
        String message = refused(reports);
        assertTrue(message.contains("shard-2-of-4.bin is missing") && message.contains("not committing"), message);
    }

    @Test
    void recommittingTheSameShardsIsHarmlessButADifferentCommitIsRefused() {
        CheckpointManifest first = checkpoints.commit(draft, reports);
        assertEquals(first, checkpoints.commit(draft, reports));

        List<ShardReport> changed = new ArrayList<>(reports);
        changed.set(0, reports.get(0).toBuilder().setCrc32C(reports.get(0).getCrc32C() ^ 1).build());
        CheckpointException e = assertThrows(CheckpointException.class, () -> checkpoints.commit(draft, changed));
        assertTrue(e.getMessage().contains("refusing to replace a committed checkpoint"), e.getMessage());
        assertEquals(first, checkpoints.latest("run1").orElseThrow());
    }

    @Test
    void stepsWithoutAllReportsAreNeverListedAsLatest() {
        assertFalse(checkpoints.latest("run1").isPresent());
        ByteBuffer restored = ByteBuffer.allocateDirect(16);
        assertTrue(checkpoints.restoreLatest("run1", restored).isEmpty());
    }
}
