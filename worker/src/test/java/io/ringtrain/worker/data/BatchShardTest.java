package io.ringtrain.worker.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BatchShardTest {

    @Test
    void shardsTileTheGlobalBatchExactlyForEveryWorldSize() {
        for (int globalBatch : new int[] {1, 2, 3, 7, 64, 255, 256}) {
            for (int worldSize = 1; worldSize <= 9; worldSize++) {
                int expectedFrom = 0;
                int smallest = Integer.MAX_VALUE;
                int largest = 0;
                for (int rank = 0; rank < worldSize; rank++) {
                    final BatchShard shard = BatchShard.of(globalBatch, rank, worldSize);
                    assertEquals(expectedFrom, shard.from(), "B=" + globalBatch + " W=" + worldSize + " r=" + rank);
                    expectedFrom = shard.to();
                    smallest = Math.min(smallest, shard.size());
                    largest = Math.max(largest, shard.size());
                }
                assertEquals(globalBatch, expectedFrom, "B=" + globalBatch + " W=" + worldSize);
                assertTrue(largest - smallest <= 1, "uneven by more than one: B=" + globalBatch + " W=" + worldSize);
            }
        }
    }

    @Test
    void unevenSplitGivesTheDocumentedRanges() {
        // B=10 over W=4: floor(10r/4) = 0, 2, 5, 7, 10
        assertEquals(new BatchShard(10, 0, 4, 0, 2), BatchShard.of(10, 0, 4));
        assertEquals(new BatchShard(10, 1, 4, 2, 5), BatchShard.of(10, 1, 4));
        assertEquals(new BatchShard(10, 2, 4, 5, 7), BatchShard.of(10, 2, 4));
        assertEquals(new BatchShard(10, 3, 4, 7, 10), BatchShard.of(10, 3, 4));
    }

    @Test
    void moreRanksThanSamplesLeavesSomeRanksEmpty() {
        int empty = 0;
        for (int rank = 0; rank < 5; rank++) {
            final BatchShard shard = BatchShard.of(3, rank, 5);
            assertTrue(shard.size() <= 1);
            empty += shard.isEmpty() ? 1 : 0;
        }
        assertEquals(2, empty);
    }

    @Test
    void invalidRankOrWorldSizeIsRejectedWithTheValues() {
        final var e = assertThrows(IllegalArgumentException.class, () -> BatchShard.of(8, 4, 4));
        assertTrue(e.getMessage().contains("rank 4 of 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BatchShard.of(8, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> BatchShard.of(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchShard(8, 0, 2, 0, 5));
    }
}
