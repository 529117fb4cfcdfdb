package io.ringtrain.worker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ringtrain.worker.model.builtin.MlpClassifier;
import io.ringtrain.worker.optim.Optimizers;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The state arena is the whole resumable state: its bytes continue a run bit-identically. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumeTest {
    private static final long SEED = 5;
    private static final int GLOBAL_BATCH = 96; // 1000 samples: epochs end mid-batch
    private static final int STOP_AT = 13;
    private static final int END_AT = 30;

    @ParameterizedTest
    @ValueSource(strings = {"adam", "sgd", "amsgrad", "rmsprop"})
    void restoredStateBytesContinueBitIdentically(String optimizer) {
        final Replica uninterrupted = fresh(optimizer);
        run(uninterrupted, END_AT);

        final Replica first = fresh(optimizer);
        run(first, STOP_AT);
        final byte[] snapshot = bytesOf(first);

        final Replica resumed = fresh(optimizer);
        resumed.state().state().bytes().put(snapshot);
        assertEquals(STOP_AT, resumed.step());
        assertEquals(STOP_AT * GLOBAL_BATCH, resumed.position().samplesConsumed());
        run(resumed, END_AT - STOP_AT);

        assertEquals(END_AT, resumed.step());
        assertArrayEquals(bytesOf(uninterrupted), bytesOf(resumed));
    }

    @Test
    void parametersAloneAreNotEnoughToResume() {
        final Replica uninterrupted = fresh("adam");
        run(uninterrupted, END_AT);

        final Replica first = fresh("adam");
        run(first, STOP_AT);
        final Replica parametersOnly = fresh("adam");
        parametersOnly.state().flatParameters().assign(first.state().flatParameters());
        run(parametersOnly, END_AT - STOP_AT);

        // Without Adam's moments, its step count and the data position the run takes another path.
        assertFalse(Arrays.equals(uninterrupted.state().flatParameters().toFloatVector(),
                parametersOnly.state().flatParameters().toFloatVector()));
    }

    private static Replica fresh(String optimizer) {
        final MlpClassifier.Config config = new MlpClassifier.Config(SEED, 32, List.of(64, 64), 10, 64, 1000, 16);
        return Replica.create(new MlpClassifier(config), Optimizers.byName(optimizer), SEED, GLOBAL_BATCH);
    }

    private static void run(Replica replica, int steps) {
        for (int i = 0; i < steps; i++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
    }

    private static byte[] bytesOf(Replica replica) {
        final ByteBuffer bytes = replica.state().state().bytes();
        final byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        return copy;
    }
}
