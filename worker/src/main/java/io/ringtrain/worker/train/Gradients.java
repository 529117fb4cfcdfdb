package io.ringtrain.worker.train;

import io.ringtrain.worker.model.Arena;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The gradient views a {@link Model} writes its gradient sums into, and the way it says
 * that one of them is final ({@link #ready(String)}), which lets the worker start all-reducing it
 * while the rest of the backward pass runs.
 */
public final class Gradients {
    private final Arena arena;
    private final boolean[] reported;
    private GradientSink sink = GradientSink.NONE;

    Gradients(Arena arena) {
        this.arena = arena;
        this.reported = new boolean[arena.layout().size()];
    }

    /** The gradient view for a parameter: zero at the start of each step, written in place. */
    public INDArray get(String name) {
        return arena.view(name);
    }

    /**
     * Every gradient as one 1-D view, in declaration order, for frameworks that write one flat gradient array (a DL4J
     * network). Zero at the start of each step.
     */
    public INDArray flat() {
        return arena.flatView(0, arena.byteLength());
    }

    /**
     * Reports that the named gradient is final for this step. Reporting a gradient twice in one
     * step is a bug in the model and fails.
     */
    public void ready(String name) {
        final int index = arena.indexOf(name);
        if (reported[index]) {
            throw new IllegalStateException("gradient '" + name + "' was reported ready twice in one step");
        }
        reported[index] = true;
        sink.ready(index);
    }

    void begin(GradientSink sink) {
        this.sink = sink;
        Arrays.fill(reported, false);
    }

    /** Reports the gradients the model did not, last parameter first (the order backward would). */
    void finish() {
        for (int i = reported.length - 1; i >= 0; i--) {
            if (!reported[i]) {
                reported[i] = true;
                sink.ready(i);
            }
        }
    }

    void detach() {
        sink = GradientSink.NONE;
    }
}
