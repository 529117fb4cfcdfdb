package io.ringtrain.benchmarks.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.coordinator.MembershipChange;
import io.ringtrain.coordinator.RunResult;
import io.ringtrain.coordinator.console.SummaryReport;
import io.ringtrain.worker.RunSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault benchmark reads what `ringtrain local --summary-json` writes: written here by the real writer. */
class RunSummaryTest {

    @TempDir
    Path dir;

    @Test
    void readsEveryMembershipChangeAndTheRateFromARealSummary() throws Exception {
        RunSettings run = new RunSettings("r", "mlp", 1, 256, 100, "sgd", 0.05, dir.toString(), "", 0, Duration.ofSeconds(1), "", Map.of());
        List<MembershipChange> changes = List.of(
                new MembershipChange(1, 2, 4, 3, "worker-2 is gone", List.of(), Map.of("worker-2", "its process exited with status 137 (SIGKILL)"),
                        1_000, 1_200, 1_500, 40, 0),
                new MembershipChange(2, 3, 3, 4, "worker-2 wants to join", List.of("worker-2"), Map.of(), 9_000, 9_100, 9_900, 80, 1));
        RunResult result = new RunResult("r", 4, 0, 100, 0.5, OptionalDouble.of(0.8), 2560.0, 0, OptionalLong.empty(),
                Duration.ofSeconds(3), Duration.ofSeconds(20), Map.of(), 3, changes);
        Path json = dir.resolve("s.json");
        SummaryReport.writeJson(json, run, result);

        RunSummary summary = RunSummary.read(json);

        assertEquals(10.0, summary.stepsPerSecond(), 1e-9);
        assertEquals(2, summary.changes().size());
        RunSummary.Change lost = summary.changes().get(0);
        assertEquals(3, lost.worldSizeAfter());
        assertTrue(lost.left().contains("\"worker-2\""), lost.left());
        assertEquals(List.of(1_000L, 1_200L, 1_500L, 0L), List.of(lost.triggeredAtMillis(), lost.stoppedAtMillis(), lost.resumedAtMillis(),
                lost.stepsRedone()));
        RunSummary.Change back = summary.changes().get(1);
        assertTrue(back.joined().contains("\"worker-2\""), back.joined());
        assertEquals(1, back.stepsRedone());
    }

    @Test
    void percentilesIgnoreMissingValues() {
        assertEquals(2.0, FaultBench.percentile(List.of(3.0, Double.NaN, 1.0, 2.0), 0.5));
        assertEquals(3.0, FaultBench.percentile(List.of(3.0, 1.0, 2.0), 1.0));
        assertTrue(Double.isNaN(FaultBench.percentile(List.of(Double.NaN), 0.5)));
    }
}
