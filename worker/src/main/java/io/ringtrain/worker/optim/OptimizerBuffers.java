package io.ringtrain.worker.optim;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The flat 1-D arrays an {@link Optimizer} reads and writes, all of the same length and type:
 * parameters (updated in place), the averaged gradient (may be overwritten), one array per
 * slot in {@link Optimizer#slotNames()} order (updated in place), and a scratch array that holds
 * nothing between calls.
 */
public record OptimizerBuffers(INDArray parameters, INDArray gradients, List<INDArray> slots, INDArray scratch) {

    public OptimizerBuffers {
        slots = List.copyOf(slots);
        final long n = parameters.length();
        if (gradients.length() != n || scratch.length() != n || slots.stream().anyMatch(s -> s.length() != n)) {
            throw new IllegalArgumentException("optimizer buffers must all have " + n + " elements");
        }
    }

    public INDArray slot(int index) {
        return slots.get(index);
    }
}
