package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Manifest commits fenced by ring generation: a replaced coordinator cannot commit beside its successor. */
@Timeout(30)
class CommitFenceTest {
    @TempDir
    Path dir;
    private Checkpoints checkpoints;

    @BeforeEach
    void open() {
        checkpoints = Checkpoints.open(DirectoryStore.open(dir), new Checkpoints.Context());
    }

    @AfterEach
    void close() {
        checkpoints.close();
    }

    private CheckpointManifest commit(long step, long generation) {
        List<ShardReport> reports = TestStates.saveShards(checkpoints, "run1", step, 2, TestStates.random(TestStates.LAYOUT.totalBytes(), step));
        return checkpoints.commit(TestStates.draft("run1", step, 2, TestStates.LAYOUT).setRingGeneration(generation).build(), reports);
    }

    @Test
    void aCommitFromAnOlderGenerationThanTheNewestCheckpointIsRefusedAndWritesNothing() {
        commit(100, 7);
        CommitFencedException e = assertThrows(CommitFencedException.class, () -> commit(120, 5));
        assertEquals(7, e.newerGeneration());
        assertTrue(e.getMessage().contains("run1 step 120 of ring generation 5")
                && e.getMessage().contains("newest checkpoint is from ring generation 7")
                && e.getMessage().contains("another coordinator has taken the run over"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("run1/step-000000000120/MANIFEST")), "a fenced commit wrote its manifest");
        assertEquals(100, checkpoints.latest("run1").orElseThrow().getStep());
    }

    @Test
    void theSameOrANewerGenerationCommitsAndIsRecorded() {
        commit(100, 5);
        commit(120, 5); // a coordinator that adopted the ring goes on in its generation
        CheckpointManifest newer = commit(140, 6);
        assertEquals(6, newer.getRingGeneration());
        assertEquals(6, checkpoints.manifest("run1", 140).getRingGeneration());
        assertEquals(OptionalLong.of(6), checkpoints.newestRingGeneration("run1"));
    }

    @Test
    void manifestsWithoutAGenerationFenceNothing() {
        commit(100, 0);
        assertEquals(OptionalLong.empty(), checkpoints.newestRingGeneration("run1"));
        commit(120, 3);
        commit(140, 0); // a draft without one is not checked either
        assertEquals(140, checkpoints.latest("run1").orElseThrow().getStep());
    }

    @Test
    void theGenerationIsReadFromTheNewestReadableManifest() throws Exception {
        commit(100, 4);
        commit(120, 9);
        Files.write(dir.resolve("run1/step-000000000120/MANIFEST"), new byte[] {1, 2, 3}); // damaged
        assertEquals(OptionalLong.of(4), checkpoints.newestRingGeneration("run1"));
    }
}
