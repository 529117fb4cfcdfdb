package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** ls, inspect and verify as the CLI will call them, on URIs naming a root, a run or a checkpoint. */
@Timeout(60)
class ToolsTest extends StoreTestBase {
    private final ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 80);

    /** Run "a": checkpoints 1 and 2 and an incomplete step 7; run "b": checkpoint 5. */
    private String twoRuns(Backend backend) {
        String root = newRootUri(backend);
        try (Checkpoints checkpoints = open(backend, root)) {
            TestStates.saveAndCommit(checkpoints, "a", 1, 2, state);
            TestStates.saveAndCommit(checkpoints, "a", 2, 2, state);
            TestStates.saveShards(checkpoints, "a", 7, 2, state);
            TestStates.saveAndCommit(checkpoints, "b", 5, 3, state);
        }
        return root;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void lsOnARootListsRunsWithTheirCommittedSteps(Backend backend) {
        String root = twoRuns(backend);
        Listing listing = CheckpointTools.ls(root, opener(backend));

        assertEquals(List.of("a", "b"), listing.runs().stream().map(Listing.RunSteps::run).toList());
        assertEquals(List.of(1L, 2L), listing.runs().get(0).steps().stream().map(Listing.StepStatus::step).toList());
        assertEquals(3, listing.runs().get(1).steps().get(0).worldSize());
        assertTrue(listing.toText().contains("run b"), listing.toText());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void lsOnARunAlsoShowsIncompleteSteps(Backend backend) {
        Listing listing = CheckpointTools.ls(at(twoRuns(backend), "a"), opener(backend));

        List<Listing.StepStatus> steps = listing.runs().get(0).steps();
        assertEquals(List.of(1L, 2L, 7L), steps.stream().map(Listing.StepStatus::step).toList());
        assertFalse(steps.get(2).valid());
        assertTrue(steps.get(2).problem().contains("no MANIFEST"), steps.get(2).problem());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void inspectOfARunShowsItsLatestManifestAsTextAndJson(Backend backend) throws Exception {
        Inspection inspection = CheckpointTools.inspect(at(twoRuns(backend), "a"), opener(backend));

        assertEquals(2, inspection.manifest().getStep());
        String text = inspection.toText();
        assertTrue(text.contains("world size  2") && text.contains("dense/weight") && text.contains("shard-1-of-2.bin")
                && text.contains("adam"), text);
        JsonNode json = new ObjectMapper().readTree(inspection.toJson());
        assertEquals(2, json.get("step").asLong());
        assertEquals(2, json.get("shards").size());
        assertEquals("dense/weight", json.get("tensors").get(1).get("name").asText());
        assertEquals(StateReader.hex(inspection.manifest().getShards(1).getCrc32C()), json.get("shards").get(1).get("crc32c").asText());
        assertEquals(0.001, json.get("optimizer").get("hyperParameters").get("lr").asDouble());
    }

    @Test
    void inspectOfACheckpointUriShowsThatCheckpoint() {
        String root = twoRuns(Backend.DIRECTORY);
        assertEquals(1, CheckpointTools.inspect(at(root, "a/step-000000000001")).manifest().getStep());
    }

    @Test
    void inspectOfARootWithSeveralRunsAsksForARun() {
        String root = twoRuns(Backend.DIRECTORY);
        String message = assertThrows(CheckpointException.class, () -> CheckpointTools.inspect(root)).getMessage();
        assertTrue(message.contains("holds runs [a, b]") && message.contains("name a run"), message);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void verifyPassesOnIntactCheckpointsAndFailsNamingTheCorruptShard(Backend backend) {
        String root = twoRuns(backend);
        VerifyReport intact = CheckpointTools.verify(at(root, "a"), opener(backend));
        assertTrue(intact.passed(), intact.toText());
        assertEquals(2, intact.shards().size());
        assertTrue(intact.toText().endsWith("PASS: 2 shard(s) intact\n"), intact.toText());

        try (CheckpointStore store = opener(backend).apply(root)) {
            String key = CheckpointKeys.shard("a", 2, 0, 2);
            ByteBuffer bytes = store.readAll(key);
            bytes.put(0, (byte) ~bytes.get(0));
            store.put(key, bytes);
        }
        VerifyReport corrupt = CheckpointTools.verify(at(root, "a/step-000000000002"), opener(backend));
        assertFalse(corrupt.passed());
        assertTrue(corrupt.problems().get(0).contains("shard-0-of-2.bin is corrupt"), corrupt.problems().toString());
        assertTrue(corrupt.toText().contains("FAIL: 1 problem(s)"), corrupt.toText());
    }

    @Test
    void verifyOfAMissingDirectoryFailsWithoutThrowing() {
        VerifyReport report = CheckpointTools.verify(temp.resolve("nothing-here").toString());
        assertFalse(report.passed());
        assertTrue(report.problems().get(0).contains("no checkpoint directory at"), report.problems().toString());
    }

    @Test
    void toolsNeverCreateTheDirectoryTheyAreGiven() {
        Function<String, CheckpointStore> readOnly = CheckpointStore::openExisting;
        assertThrows(CheckpointException.class, () -> CheckpointTools.ls(temp.resolve("typo").toString(), readOnly));
        assertFalse(temp.resolve("typo").toFile().exists());
    }
}
