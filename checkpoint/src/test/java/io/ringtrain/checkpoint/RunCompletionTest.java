package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.checkpoint.RunCompletion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The record that a run finished: written next to its checkpoints, read back, and never mistaken for a checkpoint. */
@Timeout(60)
class RunCompletionTest extends StoreTestBase {
    private static final String RUN = "run1";

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aRunWithoutARecordNeverFinishedAndARecordReadsBackAsWritten(Backend backend) {
        try (Checkpoints checkpoints = openNew(backend)) {
            assertEquals(Optional.empty(), checkpoints.completion(RUN));
            checkpoints.recordCompletion(RUN, 300);
            RunCompletion record = checkpoints.completion(RUN).orElseThrow();
            assertEquals(300, record.getSteps());
            assertEquals(RUN, record.getRunId());
            assertTrue(record.getFinishedAtUnixMs() > 0);
            checkpoints.recordCompletion(RUN, 500); // trained further and finished again
            assertEquals(500, checkpoints.completion(RUN).orElseThrow().getSteps());
            assertEquals(Optional.empty(), checkpoints.completion("run2"), "records are per run");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void retentionAndListingsLeaveTheRecordAlone(Backend backend) {
        ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 7);
        try (Checkpoints checkpoints = openNew(backend)) {
            checkpoints.recordCompletion(RUN, 4);
            for (long step = 1; step <= 5; step++) {
                TestStates.saveAndCommit(checkpoints, RUN, step, 2, state);
            }
            assertEquals(List.of(3L, 4L, 5L), checkpoints.catalog().steps(RUN).stream().map(CheckpointCatalog.StepObjects::step).toList());
            assertEquals(4, checkpoints.completion(RUN).orElseThrow().getSteps(), "pruning must not delete the record");
            assertEquals(5, checkpoints.latest(RUN).orElseThrow().getStep());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aDamagedOrForeignRecordFailsNamingTheObjectAndTheWayOut(Backend backend) {
        try (Checkpoints checkpoints = openNew(backend)) {
            checkpoints.store().put(RunCompletions.key(RUN), ByteBuffer.wrap("not a record".getBytes(StandardCharsets.UTF_8)));
            CheckpointException garbage = assertThrows(CheckpointException.class, () -> checkpoints.completion(RUN));
            assertTrue(garbage.getMessage().contains(RUN + "/COMPLETED") && garbage.getMessage().contains("delete it"), garbage.getMessage());

            checkpoints.store().put(RunCompletions.key(RUN), ByteBuffer.wrap(RunCompletion.newBuilder().setFormatVersion(1)
                    .setRunId("other").setSteps(10).build().toByteArray()));
            CheckpointException copied = assertThrows(CheckpointException.class, () -> checkpoints.completion(RUN));
            assertTrue(copied.getMessage().contains("records run 'other'"), copied.getMessage());

            checkpoints.store().put(RunCompletions.key(RUN), ByteBuffer.wrap(RunCompletion.newBuilder().setFormatVersion(9)
                    .setRunId(RUN).setSteps(10).build().toByteArray()));
            CheckpointException newer = assertThrows(CheckpointException.class, () -> checkpoints.completion(RUN));
            assertTrue(newer.getMessage().contains("format version 9"), newer.getMessage());
        }
    }
}
