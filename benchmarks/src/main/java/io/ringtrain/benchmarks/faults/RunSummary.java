package io.ringtrain.benchmarks.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of a run's --summary-json the fault benchmark reads. The summary writes every membership change as one
 * JSON object on its own line, which is what lets a few patterns read it.
 */
record RunSummary(double samplesPerSecond, int globalBatch, List<Change> changes) {

    record Change(int worldSizeAfter, String joined, String left, long triggeredAtMillis, long stoppedAtMillis, long resumedAtMillis,
                  long stepsRedone) {
    }

    private static final Pattern CHANGE = Pattern.compile("\\{\"fromGeneration\".*\"worldSizeAfter\": (\\d+).*\"joined\": (\\[[^]]*])"
            + ", \"left\": (\\{[^}]*}), \"triggeredAtMillis\": (\\d+), \"stoppedAtMillis\": (\\d+), \"resumedAtMillis\": (\\d+).*"
            + "\"stepsRedone\": (\\d+)\\}");

    double stepsPerSecond() {
        return samplesPerSecond / globalBatch;
    }

    static RunSummary read(Path json) throws IOException {
        String text = Files.readString(json);
        List<Change> changes = new ArrayList<>();
        Matcher m = CHANGE.matcher(text);
        while (m.find()) {
            changes.add(new Change(Integer.parseInt(m.group(1)), m.group(2), m.group(3), Long.parseLong(m.group(4)),
                    Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7))));
        }
        return new RunSummary(number(text, "samplesPerSecond"), (int) number(text, "globalBatch"), changes);
    }

    private static double number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\": ([0-9.eE+-]+)").matcher(json);
        if (!m.find()) {
            throw new IllegalArgumentException("the summary has no " + field);
        }
        return Double.parseDouble(m.group(1));
    }
}
