package io.ringtrain.coordinator;

import io.ringtrain.worker.SavedShard;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** Shard reports per checkpoint step until every rank's is in. */
final class ShardTally {

    private final int worldSize;
    private final SortedMap<Long, SavedShard[]> pending = new TreeMap<>();

    ShardTally(int worldSize) {
        this.worldSize = worldSize;
    }

    /**
     * Adds one rank's report; returns the complete checkpoint when it was the last one missing.
     *
     * @throws IllegalArgumentException when the report does not fit this ring
     */
    Optional<CheckpointShards> add(SavedShard shard) {
        if (shard.worldSize() != worldSize || shard.rank() < 0 || shard.rank() >= worldSize) {
            throw new IllegalArgumentException("shard report for step " + shard.step() + " names rank " + shard.rank()
                    + " of " + shard.worldSize() + ", but the ring has " + worldSize + " ranks");
        }
        SavedShard[] shards = pending.computeIfAbsent(shard.step(), s -> new SavedShard[worldSize]);
        shards[shard.rank()] = shard;
        for (SavedShard s : shards) {
            if (s == null) {
                return Optional.empty();
            }
        }
        pending.remove(shard.step());
        return Optional.of(new CheckpointShards(shard.step(), worldSize, List.of(shards)));
    }

    /** @throws IllegalArgumentException when the report and its draft disagree */
    static SavedShard fromReport(io.ringtrain.protocol.control.ShardSaved message) {
        return new SavedShard(message.getReport(), message.getDraft());
    }

    /** Steps with some shards reported but not all, e.g. for an error message. */
    List<Long> incompleteSteps() {
        return new ArrayList<>(pending.keySet());
    }
}
