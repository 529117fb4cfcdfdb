package io.ringtrain.worker.train;

import io.ringtrain.worker.model.ModelState;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Views of the current parameters, by name. Read them; the optimizer is the only writer. */
public final class Parameters {
    private final ModelState state;

    Parameters(ModelState state) {
        this.state = state;
    }

    public INDArray get(String name) {
        return state.parameter(name);
    }

    /**
     * Every parameter as one 1-D view, in declaration order, for frameworks that keep one flat parameter array
     * (a DL4J network): writes through it are writes to the parameters.
     */
    public INDArray flat() {
        return state.flatParameters();
    }

    public List<String> names() {
        return state.parameterSpecs().stream().map(p -> p.name()).toList();
    }
}
