package io.ringtrain.coordinator;

import java.util.Map;
import java.util.OptionalLong;

/**
 * What the checkpoint location holds of a run, read once when a coordinator starts: where a resumed run starts, the
 * settings that checkpoint was made with, the ring generation the coordinator numbers above, and whether it finished.
 *
 * @param newestStep       steps done at the newest checkpoint whose every shard checks out; empty if none
 * @param newestConfig     that checkpoint's run_config (see RunSettings.resultConfig); empty if none
 * @param newestGeneration the ring generation of the newest checkpoint that records one (0: none), which fences
 *                         commits from older generations
 * @param completedSteps   steps done when the run finished, from its completion record; empty if it never finished
 */
public record StoredRun(OptionalLong newestStep, Map<String, String> newestConfig, long newestGeneration, OptionalLong completedSteps) {

    public StoredRun {
        newestConfig = Map.copyOf(newestConfig);
    }

    /** A run the location holds nothing of. */
    public static StoredRun nothing() {
        return new StoredRun(OptionalLong.empty(), Map.of(), 0, OptionalLong.empty());
    }
}
