package io.ringtrain.worker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a checkpoint restore does (the state arena's bytes written into a fresh replica) continues a run of an adapted
 * model bit-identically: the graph or network reads the restored parameters, and the optimizer its restored state.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdaptedModelsResumeTest {
    private static final int STOP_AT = 4;
    private static final int END_AT = 9;

    @ParameterizedTest
    @ValueSource(strings = {"samediff-test", "gpt", "dl4j-test"})
    void restoredStateBytesContinueBitIdentically(String model) {
        Replica uninterrupted = fresh(model);
        run(uninterrupted, END_AT);

        Replica first = fresh(model);
        run(first, STOP_AT);
        Replica resumed = fresh(model);
        resumed.state().state().bytes().put(bytesOf(first));
        run(resumed, END_AT - STOP_AT);

        assertArrayEquals(bytesOf(uninterrupted), bytesOf(resumed), model);
    }

    private static Replica fresh(String model) {
        Map<String, String> tiny = model.equals("gpt")
                ? Map.of("vocab", "6", "seq", "5", "width", "8", "layers", "1", "heads", "2", "held-out-samples", "1") : Map.of();
        return Replica.create(ModelRegistry.create(model, ModelContext.of(2, ModelOptions.of(tiny))), Optimizers.byName("adam"), 2, 12);
    }

    private static void run(Replica replica, int steps) {
        for (int i = 0; i < steps; i++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
    }

    private static byte[] bytesOf(Replica replica) {
        ByteBuffer bytes = replica.state().state().bytes();
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        return copy;
    }
}
