package io.ringtrain.worker.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class SyntheticClassificationTest {

    @Test
    void sameSeedGivesIdenticalSamplesAndDifferentSeedsDiffer() {
        final Batch a = firstSamples(new SyntheticClassification(5, 8, 4, 8, 50, 10).train(), 50);
        final Batch b = firstSamples(new SyntheticClassification(5, 8, 4, 8, 50, 10).train(), 50);
        final Batch c = firstSamples(new SyntheticClassification(6, 8, 4, 8, 50, 10).train(), 50);
        assertEquals(a.features(), b.features());
        assertEquals(a.labels(), b.labels());
        assertNotEquals(a.features(), c.features());
    }

    @Test
    void labelsAreOneHotAndUseEveryClass() {
        final Batch batch = firstSamples(new SyntheticClassification(1, 32, 10, 64, 4096, 10).train(), 4096);
        assertEquals(4096.0, batch.labels().sumNumber().doubleValue(), 0.0);
        final double[] perClass = batch.labels().sum(0).toDoubleVector();
        for (int k = 0; k < perClass.length; k++) {
            // A degenerate teacher (one class dominating) would make accuracy meaningless.
            assertTrue(perClass[k] > 4096 * 0.02 && perClass[k] < 4096 * 0.35, "class " + k + ": " + perClass[k]);
        }
    }

    @Test
    void heldOutSplitIsDisjointFromTraining() {
        final SyntheticClassification task = new SyntheticClassification(1, 8, 3, 8, 20, 20);
        final Batch train = firstSamples(task.train(), 20);
        final Batch heldOut = firstSamples(task.heldOut(), 20);
        assertNotEquals(train.features(), heldOut.features());
    }

    private static Batch firstSamples(Dataset dataset, int n) {
        return Batch.of(dataset, LongStream.range(0, n).toArray(), DataType.FLOAT);
    }
}
