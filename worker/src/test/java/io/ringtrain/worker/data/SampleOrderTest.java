package io.ringtrain.worker.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SampleOrderTest {

    @Test
    void everyEpochVisitsEverySampleOnce() {
        final SampleOrder order = new SampleOrder(42, 1000);
        for (int epoch = 0; epoch < 3; epoch++) {
            final boolean[] seen = new boolean[1000];
            for (int i = 0; i < 1000; i++) {
                final int sample = (int) order.sampleAt(epoch * 1000L + i);
                assertFalse(seen[sample], "sample " + sample + " twice in epoch " + epoch);
                seen[sample] = true;
            }
        }
    }

    @Test
    void orderDependsOnSeedAndEpochOnly() {
        final long[] a = new long[300];
        final long[] b = new long[300];
        new SampleOrder(7, 1000).fill(0, a, 300);
        final SampleOrder other = new SampleOrder(7, 1000);
        other.sampleAt(5_000); // touching other epochs first must not matter
        other.fill(0, b, 300);
        assertArrayEquals(a, b);

        final long[] differentSeed = new long[300];
        new SampleOrder(8, 1000).fill(0, differentSeed, 300);
        assertFalse(Arrays.equals(a, differentSeed));

        final long[] nextEpoch = new long[300];
        new SampleOrder(7, 1000).fill(1000, nextEpoch, 300);
        assertFalse(Arrays.equals(a, nextEpoch));
    }

    @Test
    void theRanksOfAnyWorldSizeTogetherSeeTheSameGlobalBatch() {
        final Dataset dataset = new SyntheticClassification(3, 4, 3, 4, 100, 1).train();
        final int globalBatch = 37; // straddles the epoch boundary at 100 on the third step
        final DataPosition position = DataPosition.at(2 * globalBatch, dataset.size());
        final long[] expected = new long[globalBatch];
        new SampleOrder(3, 100).fill(position.samplesConsumed(), expected, globalBatch);

        for (int worldSize = 1; worldSize <= 40; worldSize += 3) {
            final long[] union = new long[globalBatch];
            for (int rank = 0; rank < worldSize; rank++) {
                final BatchShard shard = BatchShard.of(globalBatch, rank, worldSize);
                if (shard.isEmpty()) {
                    continue;
                }
                final Batch batch = Batch.allocate(shard.size(), dataset.featureShape(), dataset.labelShape(),
                        org.nd4j.linalg.api.buffer.DataType.FLOAT);
                new BatchSampler(dataset, 3).fill(position, shard, batch);
                for (int row = 0; row < batch.size(); row++) {
                    union[shard.from() + row] = batch.sampleIndex(row);
                }
            }
            assertArrayEquals(expected, union, "W=" + worldSize);
        }
    }

    @Test
    void dataPositionTracksEpochs() {
        DataPosition p = DataPosition.start();
        for (int i = 0; i < 5; i++) {
            p = p.advance(256, 1000);
        }
        assertEquals(new DataPosition(1280, 1, 280), p);
        assertNotEquals(DataPosition.start(), p);
    }
}
