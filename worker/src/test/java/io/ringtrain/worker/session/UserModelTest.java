package io.ringtrain.worker.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.allreduce.TestRing;
import io.ringtrain.worker.exchange.DataParallelStep;
import io.ringtrain.worker.StepResult;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.ModelOptions;
import io.ringtrain.worker.train.Replica;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A user's own Model, found by name through ModelProvider, trains data-parallel over a real ring. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class UserModelTest {

    @Test
    void providersOnTheClassPathAreModelsByName() {
        assertTrue(ModelRegistry.names().contains("linear-test"), ModelRegistry.names().toString());
        assertTrue(ModelRegistry.names().contains("mlp"));
        assertTrue(new BuiltinModelSessions().models().contains("linear-test"));
    }

    @Test
    void userModelTrainsAcrossTwoRanksAndTheRanksAgree() throws Exception {
        try (TestRing ring = TestRing.udp(2)) {
            List<CompletableFuture<double[]>> ranks = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                ranks.add(CompletableFuture.supplyAsync(() -> {
                    Replica replica = Replica.create(ModelRegistry.create("linear-test", 3), Optimizers.create("sgd", 0.1, ModelOptions.none()), 3, 64);
                    DataParallelStep step = new DataParallelStep(replica, ring.comms[rank]);
                    double first = Double.NaN;
                    double last = Double.NaN;
                    for (int s = 0; s < 150; s++) {
                        StepResult result = step.run();
                        first = s == 0 ? result.meanLoss() : first;
                        last = result.meanLoss();
                    }
                    double[] w = replica.state().parameter("w").toDoubleVector();
                    double[] out = new double[w.length + 2];
                    System.arraycopy(w, 0, out, 0, w.length);
                    out[w.length] = first;
                    out[w.length + 1] = last;
                    return out;
                }));
            }
            double[] a = ranks.get(0).get(90, TimeUnit.SECONDS);
            double[] b = ranks.get(1).get(90, TimeUnit.SECONDS);
            assertArrayEquals(a, b, 0.0, "ranks must hold identical parameters and losses");
            int n = LinearRegression.FEATURES;
            assertTrue(a[n + 1] < a[n] * 0.01, "loss must fall by 100x: first " + a[n] + ", last " + a[n + 1]);
            for (int j = 0; j < n; j++) {
                assertEquals((j + 1) / 8.0, a[j], 0.02, "weight " + j + " must approach the true value");
            }
        }
    }
}
