package io.ringtrain.worker.optim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/**
 * The run's optimizer: one of ND4J's updaters ({@code org.nd4j.linalg.learning.config}, with its learning-rate
 * schedule), optionally clipping the gradient by its global L2 norm first and decaying the weights after (decoupled,
 * as in AdamW). Built by {@link Optimizers}, the one registry of names and defaults.
 *
 * <p>An ND4J updater keeps its whole state in one flat array ({@link IUpdater#stateSize}); {@link #bind} points it
 * at a range of the replica's state arena, so checkpoints carry the optimizer state with no copy. That array holds
 * {@link #slotNames()} one after the other, each as long as the parameters (Adam: {@code m}, then {@code v}), which is
 * how the state arena names them ({@code optim/<slot>/<parameter>}).
 *
 * <p>Immutable: it holds hyper-parameters only and can be shared; the state lives where it is bound.
 */
public final class Optimizer {
    private final String name;
    private final IUpdater updater;
    private final double clipNorm;
    private final double weightDecay;
    private final Map<String, Double> hyperParameters;
    private final List<String> slotNames;

    Optimizer(String name, IUpdater updater, double clipNorm, double weightDecay, Map<String, Double> hyperParameters) {
        this.name = Objects.requireNonNull(name, "name");
        this.updater = Objects.requireNonNull(updater, "updater");
        this.clipNorm = clipNorm;
        this.weightDecay = weightDecay;
        this.hyperParameters = Map.copyOf(hyperParameters);
        this.slotNames = probeSlotNames(updater);
    }

    /** The name {@code --optimizer} takes, e.g. {@code adam}. */
    public String name() {
        return name;
    }

    /** The state slots in the order the updater lays them out, lower case (e.g. {@code [m, v]}); may be empty. */
    public List<String> slotNames() {
        return slotNames;
    }

    /** Every setting that decides the updates, by name (learning rate, momentum, betas, clipping, decay, ...). */
    public Map<String, Double> hyperParameters() {
        return hyperParameters;
    }

    /** The learning rate at {@code step} (counted from 1) after the schedule. */
    public double learningRate(long step, long epoch) {
        return updater.getLearningRate(iteration(step), Math.toIntExact(epoch));
    }

    /**
     * The updater bound to flat 1-D views of one replica: parameters (updated in place), the averaged gradient
     * (overwritten with the update) and the optimizer state ({@code slotNames().size()} times the parameters' length;
     * null when there are no slots), all of one floating-point type.
     *
     * @param initialize zero the state (a fresh run); false keeps what the state holds (restored bytes)
     */
    public Bound bind(INDArray parameters, INDArray gradients, INDArray state, boolean initialize) {
        long n = parameters.length();
        long expected = updater.stateSize(n);
        if (gradients.length() != n || (state == null ? expected != 0 : state.length() != expected)) {
            throw new IllegalArgumentException(name + " needs " + expected + " state elements and gradients as long as the "
                    + n + " parameters; got " + (state == null ? 0 : state.length()) + " and " + gradients.length());
        }
        GradientUpdater<?> bound = updater.clone().instantiate(state, initialize);
        return new Bound(bound, parameters, gradients);
    }

    /** The optimizer attached to one replica's arenas. Not thread-safe: the training thread calls {@link #step}. */
    public final class Bound {
        private final GradientUpdater<?> updater;
        private final INDArray parameters;
        private final INDArray gradients;
        private final WeightDecay decay;

        private Bound(GradientUpdater<?> updater, INDArray parameters, INDArray gradients) {
            this.updater = updater;
            this.parameters = parameters;
            this.gradients = gradients;
            this.decay = weightDecay > 0 ? new WeightDecay(weightDecay, true) : null;
        }

        /**
         * Applies update {@code step} (counted from 1) from the gradient averaged over the global batch, which it
         * overwrites. Deterministic: every rank holds the same gradient and state and computes the same update.
         *
         * @return the gradient's global L2 norm before clipping, or NaN when clipping is off (not computed)
         */
        public double step(long step, long epoch) {
            int iteration = iteration(step);
            int epochIndex = Math.toIntExact(epoch);
            double norm = Double.NaN;
            if (clipNorm > 0) {
                norm = gradients.norm2Number().doubleValue();
                if (norm > clipNorm) {
                    gradients.muli(clipNorm / norm);
                }
            }
            updater.applyUpdater(gradients, iteration, epochIndex);
            if (decay != null) {
                decay.apply(parameters, gradients, updater.getConfig().getLearningRate(iteration, epochIndex), iteration, epochIndex);
            }
            parameters.subi(gradients);
            return norm;
        }
    }

    private static int iteration(long step) {
        if (step < 1) {
            throw new IllegalArgumentException("optimizer steps count from 1, was " + step);
        }
        return Math.toIntExact(step - 1);
    }

    /**
     * Finds the updater's state slots and their order by binding it to a tiny array: each slot is a view at its own
     * offset, and the offsets give the layout (ND4J documents the state as one array, not its order).
     */
    private static List<String> probeSlotNames(IUpdater updater) {
        long size = updater.stateSize(1);
        if (size == 0) {
            return List.of();
        }
        Map<String, INDArray> state = updater.clone().instantiate(Nd4j.create(DataType.FLOAT, size), true).getState();
        if (state == null || state.size() != size) {
            throw new IllegalStateException(updater.getClass().getSimpleName() + " keeps " + size + " state values per"
                    + " parameter but names " + (state == null ? 0 : state.size()) + " slots: it cannot be checkpointed by slot");
        }
        List<Map.Entry<String, INDArray>> slots = new ArrayList<>(state.entrySet());
        slots.sort(Comparator.comparingLong(e -> e.getValue().offset()));
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, INDArray> slot : slots) {
            names.add(slot.getKey().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        return List.copyOf(names);
    }

    @Override
    public String toString() {
        Map<String, Double> shown = new LinkedHashMap<>(hyperParameters);
        return name + shown;
    }
}
