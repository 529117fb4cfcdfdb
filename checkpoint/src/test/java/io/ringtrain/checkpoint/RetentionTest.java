package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class RetentionTest extends StoreTestBase {
    private static final String RUN = "run1";
    private final ByteBuffer state = TestStates.random(TestStates.LAYOUT.totalBytes(), 40);

    private static List<Long> stepsInStore(Checkpoints checkpoints) {
        return checkpoints.catalog().steps(RUN).stream().map(CheckpointCatalog.StepObjects::step).toList();
    }

    private static List<Long> committedSteps(Checkpoints checkpoints) {
        return checkpoints.catalog().steps(RUN).stream().filter(CheckpointCatalog.StepObjects::committed)
                .map(CheckpointCatalog.StepObjects::step).toList();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void eachCommitKeepsTheNewestThreeAndDeletesOlderOnesEntirely(Backend backend) {
        try (Checkpoints checkpoints = openNew(backend)) {
            for (long step = 1; step <= 3; step++) {
                TestStates.saveAndCommit(checkpoints, RUN, step, 2, state);
            }
            assertEquals(List.of(1L, 2L, 3L), stepsInStore(checkpoints), "nothing deleted before a 4th commit");
            TestStates.saveAndCommit(checkpoints, RUN, 4, 2, state);
            TestStates.saveAndCommit(checkpoints, RUN, 5, 2, state);

            assertEquals(List.of(3L, 4L, 5L), stepsInStore(checkpoints), "steps 1 and 2 fully removed, shards included");
            assertTrue(checkpoints.store().list(CheckpointKeys.stepDirectory(RUN, 1)).isEmpty());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void incompleteStepsOlderThanTheNewestCheckpointAreDeletedButNewerOnesAreLeftAlone(Backend backend) {
        try (Checkpoints checkpoints = openNew(backend)) {
            TestStates.saveAndCommit(checkpoints, RUN, 10, 2, state);
            try (ShardWriter rank0 = checkpoints.writer(RUN)) {
                rank0.saveShard(15, 0, 2, state); // step 15: rank 1 never saved, never committed
            }
            TestStates.saveShards(checkpoints, RUN, 30, 2, state);               // step 30: may still be in flight
            TestStates.saveAndCommit(checkpoints, RUN, 20, 2, state);

            assertEquals(List.of(10L, 20L, 30L), stepsInStore(checkpoints));
            assertEquals(List.of(10L, 20L), committedSteps(checkpoints));
            assertEquals(2, checkpoints.store().list(CheckpointKeys.stepDirectory(RUN, 30) + "/").size(), "in-flight shards untouched");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theNewestValidCheckpointSurvivesEvenWhenNewerOnesAreBroken(Backend backend) {
        String root = newRootUri(backend);
        try (Checkpoints keepTwo = open(backend, root, new Checkpoints.Context().keep(2))) {
            TestStates.saveAndCommit(keepTwo, RUN, 10, 2, state);
            TestStates.saveAndCommit(keepTwo, RUN, 20, 2, state);
            keepTwo.store().delete(CheckpointKeys.shard(RUN, 20, 1, 2));
        }
        try (Checkpoints keepOne = open(backend, root, new Checkpoints.Context().keep(1))) {
            PruneResult pruned = keepOne.prune(RUN);
            assertEquals(List.of(10L), pruned.kept());
            assertEquals(List.of(10L, 20L), committedSteps(keepOne), "valid 10 kept; broken 20 left for diagnosis");
            assertEquals(10, keepOne.latest(RUN).orElseThrow().getStep());

            TestStates.saveAndCommit(keepOne, RUN, 30, 2, state);
            assertEquals(List.of(30L), stepsInStore(keepOne));
        }
    }
}
