package io.ringtrain.worker;

import java.util.Map;
import java.util.OptionalDouble;

/**
 * What a session reports when it finishes.
 *
 * @param metrics free-form figures, e.g. {@code step.compute.ms}; the coordinator averages them over ranks
 */
public record SessionSummary(double finalLoss, OptionalDouble heldOutAccuracy, Map<String, Double> metrics) {

    public SessionSummary {
        metrics = Map.copyOf(metrics);
    }
}
