package io.ringtrain.worker.model;

import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One named model parameter: its shape (row-major; weights are {@code [inputs, outputs]}) and how
 * its initial values are drawn from the run's seed. The order in which a model lists its
 * parameters fixes the state layout, the checkpoint layout and the exported parameter order.
 */
public record ParameterSpec(String name, long[] shape, Initializer initializer) {
    /** SameDiff names variables inside name scopes {@code scope/name}, so '/' is allowed, except at the start. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-:][A-Za-z0-9_.\\-:/]*");
    /** Prefixes of the state arena's own tensors (optimizer slots, counters, padding). */
    private static final java.util.List<String> RESERVED = java.util.List.of("optim/", "data/", "pad/");

    public ParameterSpec {
        Objects.requireNonNull(initializer, "initializer");
        if (name == null || !NAME.matcher(name).matches() || RESERVED.stream().anyMatch(name::startsWith)) {
            throw new IllegalArgumentException("parameter name '" + name + "' is not valid: use letters, digits, '_', '.',"
                    + " '-', ':' and '/' (not first), and do not start it with " + RESERVED + ", which name ringtrain's own state");
        }
        shape = shape.clone();
        if (shape.length == 0) {
            throw new IllegalArgumentException(name + ": a parameter needs at least one dimension (use [1] for a scalar)");
        }
        TensorLayout.elementCount(shape);
    }

    public static ParameterSpec of(String name, Initializer initializer, long... shape) {
        return new ParameterSpec(name, shape, initializer);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return TensorLayout.elementCount(shape);
    }

    /** Name and shape; initializers are functions and are not compared. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ParameterSpec p && name.equals(p.name) && Arrays.equals(shape, p.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
