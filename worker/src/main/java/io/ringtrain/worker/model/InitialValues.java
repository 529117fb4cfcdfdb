package io.ringtrain.worker.model;

import io.ringtrain.worker.data.DeterministicRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A parameter's initial values as a framework already drew them (a SameDiff graph's variable, a DL4J network's
 * initialized parameters): assigned into the state arena once, then let go, so a large model's values are not kept
 * twice.
 */
public final class InitialValues implements Initializer {
    private final String name;
    private INDArray values;

    public InitialValues(String name, INDArray values) {
        this.name = name;
        this.values = values;
    }

    @Override
    public void fill(double[] out, long[] shape, DeterministicRandom random) {
        INDArray source = take();
        for (int i = 0; i < out.length; i++) {
            out[i] = source.getDouble(i);
        }
    }

    @Override
    public void initialize(INDArray parameter, DeterministicRandom random) {
        parameter.assign(take().reshape(parameter.shape()));
    }

    private INDArray take() {
        INDArray source = values;
        if (source == null) {
            throw new IllegalStateException("parameter '" + name + "' was initialized already: a model built on a framework's"
                    + " graph or network serves one replica; build another for another replica");
        }
        values = null;
        return source;
    }
}
