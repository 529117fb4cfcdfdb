package io.ringtrain.coordinator;

import io.ringtrain.worker.SavedShard;
import java.util.List;

/** Every rank's shard report for one checkpoint, ordered by rank, and the ring generation whose ranks saved it. */
public record CheckpointShards(long step, int worldSize, long generation, List<SavedShard> byRank) {

    public CheckpointShards {
        byRank = List.copyOf(byRank);
        if (byRank.size() != worldSize) {
            throw new IllegalArgumentException("checkpoint at step " + step + " has " + byRank.size() + " shards for world size " + worldSize);
        }
        for (int rank = 0; rank < worldSize; rank++) {
            SavedShard shard = byRank.get(rank);
            if (shard.rank() != rank || shard.step() != step || shard.worldSize() != worldSize) {
                throw new IllegalArgumentException("shard " + rank + " of the checkpoint at step " + step + " reports rank "
                        + shard.rank() + ", step " + shard.step() + ", world size " + shard.worldSize());
            }
        }
    }
}
