package io.ringtrain.worker.session;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.RunSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI asks the built-in sessions to check a run's options before it starts any worker. */
class RunOptionsCheckTest {

    @Test
    void aMisspelledOptionIsRefusedNamingItAndTheOptionsThatExist() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BuiltinModelSessions().check(run("mlp", Map.of("hiden", "8"))));
        assertTrue(e.getMessage().contains("-O {hiden=8}: not an option of model mlp"), e.getMessage());
        assertTrue(e.getMessage().contains("hidden") && e.getMessage().contains("compute-threads"), e.getMessage());
    }

    @Test
    void badValuesAreRefusedAndGoodOnesPass() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BuiltinModelSessions().check(run("mlp", Map.of("classes", "1"))));
        assertTrue(e.getMessage().contains("option classes=1 is out of range: use 2 to"), e.getMessage());
        new BuiltinModelSessions().check(run("mlp", Map.of("hidden", "16,8", "compute-threads", "2")));
        // A user's provider reads its options only when it builds the model: the workers check those.
        new BuiltinModelSessions().check(run("linear-test", Map.of("samples", "64")));
    }

    private static RunSettings run(String model, Map<String, String> options) {
        return new RunSettings("r", model, 1, 32, 10, "sgd", 0.05, "file:///tmp/unused", "", 0, Duration.ofSeconds(1), "", options);
    }
}
