package io.ringtrain.worker.model;

import io.ringtrain.worker.data.DeterministicRandom;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model replica's memory: two {@link Arena}s.
 *
 * <p><b>State arena</b> (everything a checkpoint saves, one contiguous region), in this order:
 * <ol>
 *   <li>the parameters, in declaration order ({@code w1, b1, w2, ...});</li>
 *   <li>for each optimizer slot {@code s} in the optimizer's order, one tensor per parameter,
 *       named {@code optim/<s>/<parameter>}, in declaration order (so each slot is itself a
 *       contiguous copy of the parameter layout);</li>
 *   <li>{@code pad/int64-alignment}: one unused float32, only when needed to align what follows;</li>
 *   <li>{@code optim/steps}: the optimizer's step count, INT64, 8-byte aligned;</li>
 *   <li>{@code data/samples-consumed}: the global data position (samples of the run consumed
 *       by completed steps), INT64.</li>
 * </ol>
 * So restoring the state arena's bytes restores everything a run needs to continue
 * bit-identically: parameters, optimizer state, step count and data position.
 * The parameters are therefore the prefix {@code [0, parameterBytes())} of the state arena, which
 * is also exactly the exported parameter vector.
 *
 * <p><b>Gradient arena</b>: one tensor per parameter, same names, shapes and byte offsets as the
 * parameter prefix of the state arena. The data plane all-reduces it in place.
 */
public final class ModelState {
    public static final String SLOT_PREFIX = "optim/";
    public static final String OPTIMIZER_STEPS = "optim/steps";
    public static final String SAMPLES_CONSUMED = "data/samples-consumed";
    /** One unused float32 before the counters when the floats before them end 4 bytes off an 8-byte boundary. */
    public static final String ALIGNMENT_PADDING = "pad/int64-alignment";

    private final List<ParameterSpec> parameters;
    private final List<String> optimizerSlots;
    private final ElementType precision;
    private final Arena state;
    private final Arena gradients;
    private final long parameterBytes;
    private final INDArray flatParameters;
    private final INDArray flatGradients;
    private final INDArray optimizerState;
    private final int stepsOffset;
    private final int samplesOffset;
    private final ByteBuffer stateBytes;

    private ModelState(List<ParameterSpec> parameters, List<String> optimizerSlots, ElementType precision) {
        this.parameters = List.copyOf(parameters);
        this.optimizerSlots = List.copyOf(optimizerSlots);
        this.precision = precision;

        final Arena.Builder stateLayout = Arena.builder(precision);
        final Arena.Builder gradientLayout = Arena.builder(precision);
        for (ParameterSpec p : parameters) {
            stateLayout.add(p.name(), p.shape());
            gradientLayout.add(p.name(), p.shape());
        }
        for (String slot : optimizerSlots) {
            for (ParameterSpec p : parameters) {
                stateLayout.add(slotTensorName(slot, p.name()), p.shape());
            }
        }
        long floats = 0;
        for (ParameterSpec p : parameters) {
            floats += p.elementCount() * (1 + optimizerSlots.size());
        }
        if (floats * precision.byteSize() % ElementType.INT64.byteSize() != 0) {
            // Checkpoints lay tensors out back to back with no gaps, so the padding the arena would insert before the
            // 8-byte counters has to be a tensor of its own (only float32 states with an odd element count need it).
            stateLayout.add(ALIGNMENT_PADDING, 1);
        }
        stateLayout.add(OPTIMIZER_STEPS, ElementType.INT64);
        stateLayout.add(SAMPLES_CONSUMED, ElementType.INT64);
        this.state = stateLayout.build();
        this.gradients = gradientLayout.build();

        this.parameterBytes = gradients.byteLength();
        this.flatParameters = state.flatView(0, parameterBytes);
        this.flatGradients = gradients.flatView(0, parameterBytes);
        // Same-typed tensors are packed without padding, so the slots follow the parameters as one range.
        this.optimizerState = optimizerSlots.isEmpty() ? null
                : state.flatView(parameterBytes, parameterBytes * (1 + optimizerSlots.size()));
        this.stepsOffset = Math.toIntExact(state.tensor(OPTIMIZER_STEPS).byteOffset());
        this.samplesOffset = Math.toIntExact(state.tensor(SAMPLES_CONSUMED).byteOffset());
        this.stateBytes = state.bytes();
    }

    /**
     * Allocates zeroed arenas for the given parameters and optimizer slots.
     *
     * @param precision FLOAT32 for training; FLOAT64 for gradient checks
     */
    public static ModelState allocate(List<ParameterSpec> parameters, List<String> optimizerSlots,
                                      ElementType precision) {
        Objects.requireNonNull(precision, "precision");
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one parameter");
        }
        final var names = new HashSet<String>();
        for (ParameterSpec p : parameters) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("parameter name '" + p.name() + "' is declared twice");
            }
        }
        final var slotNames = new HashSet<String>();
        for (String slot : optimizerSlots) {
            if (slot.isEmpty() || slot.contains("/") || !slotNames.add(slot)) {
                throw new IllegalArgumentException("optimizer slot names must be unique, non-empty and without '/': "
                        + optimizerSlots);
            }
        }
        return new ModelState(parameters, optimizerSlots, precision);
    }

    /** Name of the state tensor holding optimizer slot {@code slot} for {@code parameter}. */
    public static String slotTensorName(String slot, String parameter) {
        return SLOT_PREFIX + slot + "/" + parameter;
    }

    /**
     * Sets every parameter from its initializer with the stream {@code (seed, "init/<name>")},
     * and zeroes the optimizer slots, the counters and the gradients.
     */
    public void initialize(long seed) {
        state.clear();
        gradients.clear();
        for (ParameterSpec p : parameters) {
            p.initializer().initialize(parameter(p.name()), DeterministicRandom.forPurpose(seed, "init/" + p.name(), 0));
        }
    }

    /** Parameters, optimizer slots and step count: what a checkpoint saves and restores. */
    public Arena state() {
        return state;
    }

    /** Gradients, laid out like the parameter prefix of {@link #state()}. */
    public Arena gradients() {
        return gradients;
    }

    public List<ParameterSpec> parameterSpecs() {
        return parameters;
    }

    public List<String> optimizerSlots() {
        return optimizerSlots;
    }

    public ElementType precision() {
        return precision;
    }

    /** Byte length of the parameter prefix of the state arena (= the gradient arena's length). */
    public long parameterBytes() {
        return parameterBytes;
    }

    /** Number of parameter elements (the length of the exported vector). */
    public long parameterCount() {
        return parameterBytes / precision.byteSize();
    }

    public INDArray parameter(String name) {
        return state.view(name);
    }

    public INDArray gradient(String name) {
        return gradients.view(name);
    }

    /** All parameters as one 1-D view, in declaration order. */
    public INDArray flatParameters() {
        return flatParameters;
    }

    /** All gradients as one 1-D view, in declaration order. */
    public INDArray flatGradients() {
        return flatGradients;
    }

    /**
     * Every optimizer slot, one after the other in {@link #optimizerSlots()} order, as one 1-D view: the flat state
     * array an ND4J updater keeps its state in. Null when the optimizer has no state.
     */
    public INDArray optimizerState() {
        return optimizerState;
    }

    /** Optimizer steps taken so far (stored in the state arena, so checkpoints carry it). */
    public long optimizerSteps() {
        return stateBytes.getLong(stepsOffset);
    }

    public void optimizerSteps(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("optimizer steps must be >= 0, was " + steps);
        }
        stateBytes.putLong(stepsOffset, steps);
    }

    /** Samples of the run consumed by completed steps: the next step's first global position. */
    public long samplesConsumed() {
        return stateBytes.getLong(samplesOffset);
    }

    public void samplesConsumed(long samples) {
        if (samples < 0) {
            throw new IllegalArgumentException("samples consumed must be >= 0, was " + samples);
        }
        stateBytes.putLong(samplesOffset, samples);
    }
}
