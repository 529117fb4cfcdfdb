package io.ringtrain.checkpoint;

import java.util.List;

/** What retention kept and deleted in one run, by step (newest first for {@code kept}). */
public record PruneResult(List<Long> kept, List<Long> deletedCheckpoints, List<Long> deletedIncompleteSteps) {
}
