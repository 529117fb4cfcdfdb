package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShardSplitTest {
    @Test
    void rangesTileTheStateInRankOrderWithSizesWithinOneByte() {
        for (long total : new long[] {0, 1, 7, 1000, 4_218_350, (3L << 30) + 5}) {
            for (int n = 1; n <= 17; n++) {
                long next = 0;
                long min = Long.MAX_VALUE;
                long max = 0;
                for (int rank = 0; rank < n; rank++) {
                    ByteRange range = ShardSplit.range(total, n, rank);
                    assertEquals(next, range.offset(), "rank " + rank + " of " + n + " for " + total);
                    next = range.end();
                    min = Math.min(min, range.length());
                    max = Math.max(max, range.length());
                }
                assertEquals(total, next);
                assertTrue(max - min <= 1);
            }
        }
    }

    @Test
    void splitIsAFixedFunctionOfItsInputs() {
        assertEquals(new ByteRange(0, 4), ShardSplit.range(10, 3, 0));
        assertEquals(new ByteRange(4, 3), ShardSplit.range(10, 3, 1));
        assertEquals(new ByteRange(7, 3), ShardSplit.range(10, 3, 2));
    }

    @Test
    void invalidRanksAndWorldSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ShardSplit.range(10, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ShardSplit.range(10, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> ShardSplit.range(-1, 2, 0));
    }
}
