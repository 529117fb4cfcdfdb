package io.ringtrain.coordinator;

import io.ringtrain.worker.SavedShard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Shard reports per checkpoint until every rank's is in, for the whole run: a save started by one ring generation
 * may complete after the next formed. A checkpoint is one step saved by the ranks of one generation, so reports
 * are tallied by (generation, step) and a checkpoint commits only with every shard of one generation. An immutable
 * value.
 */
record ShardTally(Map<Key, List<SavedShard>> pending) {

    record Key(long generation, long step) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            return generation != o.generation ? Long.compare(generation, o.generation) : Long.compare(step, o.step);
        }
    }

    /** The tally after one report, and the complete checkpoint if it was the last shard missing. */
    record Added(ShardTally tally, Optional<CheckpointShards> complete) {
    }

    ShardTally {
        pending = java.util.Collections.unmodifiableMap(new TreeMap<>(pending));
    }

    static ShardTally empty() {
        return new ShardTally(Map.of());
    }

    /**
     * @param worldSize the world size of the ring {@code generation}
     * @throws IllegalArgumentException when the report does not fit that ring
     */
    Added add(long generation, int worldSize, SavedShard shard) {
        if (shard.worldSize() != worldSize || shard.rank() < 0 || shard.rank() >= worldSize) {
            throw new IllegalArgumentException("shard report for step " + shard.step() + " names rank " + shard.rank()
                    + " of " + shard.worldSize() + ", but ring generation " + generation + " has " + worldSize + " ranks");
        }
        Key key = new Key(generation, shard.step());
        SavedShard[] shards = pending.containsKey(key) ? pending.get(key).toArray(SavedShard[]::new) : new SavedShard[worldSize];
        shards[shard.rank()] = shard;
        Map<Key, List<SavedShard>> next = new TreeMap<>(pending);
        if (Arrays.stream(shards).allMatch(s -> s != null)) {
            next.remove(key);
            return new Added(new ShardTally(next), Optional.of(new CheckpointShards(shard.step(), worldSize, generation, List.of(shards))));
        }
        next.put(key, Arrays.asList(shards));
        return new Added(new ShardTally(next), Optional.empty());
    }

    /**
     * Steps of ring {@code generation} with some shards reported but not all, e.g. for an error message. (Those of
     * an earlier generation that broke can never complete: the checkpoint is skipped and the next one commits.)
     */
    List<Long> incompleteSteps(long generation) {
        return new ArrayList<>(pending.keySet().stream().filter(k -> k.generation() == generation).map(Key::step).toList());
    }
}
