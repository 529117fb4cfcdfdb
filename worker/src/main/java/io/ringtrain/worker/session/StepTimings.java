package io.ringtrain.worker.session;

import io.ringtrain.worker.StepResult;
import java.util.LinkedHashMap;
import java.util.Map;

/** Mean per-step time split of a session, skipping the first steps (JIT and ND4J warm-up). */
final class StepTimings {
    private final int warmup;
    private long seen;
    private long counted;
    private long compute;
    private long allReduce;
    private long optimizer;

    StepTimings(int warmup) {
        this.warmup = warmup;
    }

    void add(StepResult r) {
        if (seen++ < warmup) {
            return;
        }
        counted++;
        compute += r.computeNanos();
        allReduce += r.allReduceWaitNanos();
        optimizer += r.optimizerNanos();
    }

    /** Milliseconds per step: compute, all-reduce wait, optimizer, and their total. */
    Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        if (counted == 0) {
            return m;
        }
        m.put("step.compute.ms", compute / 1e6 / counted);
        m.put("step.allreduce.ms", allReduce / 1e6 / counted);
        m.put("step.optimizer.ms", optimizer / 1e6 / counted);
        m.put("step.total.ms", (compute + allReduce + optimizer) / 1e6 / counted);
        return m;
    }
}
