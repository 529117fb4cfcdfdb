package io.ringtrain.worker.optim;

import io.ringtrain.worker.train.ModelOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The one registry of optimizers ({@code --optimizer NAME}) and the one home of their defaults. Each is one of ND4J's
 * updaters; its hyper-parameters come from {@code -O optim.*} options, read only for the optimizer that uses them (an
 * option the chosen optimizer does not have is refused as unread):
 * <table>
 *   <caption>optimizers</caption>
 *   <tr><th>name</th><th>ND4J</th><th>default lr</th><th>options (default)</th></tr>
 *   <tr><td>sgd</td><td>Nesterovs, or Sgd with momentum 0</td><td>0.05</td><td>optim.momentum (0.9)</td></tr>
 *   <tr><td>adam</td><td>Adam</td><td>0.003</td><td>optim.beta1 (0.9), optim.beta2 (0.999), optim.epsilon (1e-8)</td></tr>
 *   <tr><td>adamw</td><td>Adam + decoupled WeightDecay</td><td>0.003</td><td>as adam; optim.weight-decay (0.01)</td></tr>
 *   <tr><td>adamax</td><td>AdaMax</td><td>0.002</td><td>as adam</td></tr>
 *   <tr><td>amsgrad</td><td>AMSGrad</td><td>0.003</td><td>as adam</td></tr>
 *   <tr><td>rmsprop</td><td>RmsProp</td><td>0.001</td><td>optim.rms-decay (0.95), optim.epsilon (1e-8)</td></tr>
 *   <tr><td>adagrad</td><td>AdaGrad</td><td>0.05</td><td>optim.epsilon (1e-6)</td></tr>
 * </table>
 * Every optimizer also takes {@code optim.weight-decay} (decoupled: {@code p -= lr * wd * p} after the update; 0),
 * {@code optim.clip-norm} (scale the averaged gradient down to this global L2 norm when it is larger; 0 = off), and
 * {@code optim.schedule} / {@code optim.warmup} (see {@link LearningRateSchedule}).
 *
 * <p>Why {@code sgd} means Nesterov momentum 0.9: it is what the built-in models train well with at the default
 * learning rate (the run's default optimizer), and PyTorch's SGD has momentum and Nesterov as options too;
 * {@code -O optim.momentum=0} gives plain SGD.
 */
public final class Optimizers {
    /** What {@code ringtrain local} trains with when no optimizer is named. */
    public static final String DEFAULT = "sgd";

    private record Entry(double learningRate, Family family) {
    }

    private enum Family { SGD, ADAM, ADAMW, ADAMAX, AMSGRAD, RMSPROP, ADAGRAD }

    private static final Map<String, Entry> ENTRIES = entries();

    private static Map<String, Entry> entries() {
        Map<String, Entry> m = new LinkedHashMap<>();
        m.put("sgd", new Entry(0.05, Family.SGD));
        m.put("adam", new Entry(3e-3, Family.ADAM));
        m.put("adamw", new Entry(3e-3, Family.ADAMW));
        m.put("adamax", new Entry(2e-3, Family.ADAMAX));
        m.put("amsgrad", new Entry(3e-3, Family.AMSGRAD));
        m.put("rmsprop", new Entry(1e-3, Family.RMSPROP));
        m.put("adagrad", new Entry(0.05, Family.ADAGRAD));
        return Map.copyOf(m);
    }

    private Optimizers() {
    }

    /** Names {@code --optimizer} accepts, in the order documented above. */
    public static List<String> names() {
        return List.of("sgd", "adam", "adamw", "adamax", "amsgrad", "rmsprop", "adagrad");
    }

    /** The learning rate {@code --lr 0} (the default) stands for. */
    public static double defaultLearningRate(String name) {
        return entry(name).learningRate();
    }

    /** The named optimizer with its default learning rate and options. */
    public static Optimizer byName(String name) {
        return create(name, defaultLearningRate(name), ModelOptions.none());
    }

    /**
     * The named optimizer at {@code learningRate} with its {@code optim.*} options.
     *
     * @throws IllegalArgumentException naming the optimizer or option that is wrong, and what is allowed
     */
    public static Optimizer create(String name, double learningRate, ModelOptions options) {
        Entry entry = entry(name);
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
        }
        String key = name.toLowerCase(Locale.ROOT);
        Map<String, Double> hp = new LinkedHashMap<>();
        hp.put("learning_rate", learningRate);
        int warmup = options.integer("optim.warmup", 0, 0, Integer.MAX_VALUE);
        ISchedule schedule = LearningRateSchedule.parse(options.text("optim.schedule", "fixed"), learningRate, warmup);
        IUpdater updater = switch (entry.family()) {
            case SGD -> {
                double momentum = put(hp, "momentum", options.decimal("optim.momentum", 0.9, 0, 0.999999));
                yield momentum == 0 ? new Sgd(learningRate) : new Nesterovs(learningRate, momentum);
            }
            case ADAM, ADAMW -> adamLike(Adam::new, learningRate, options, hp);
            case ADAMAX -> adamLike(AdaMax::new, learningRate, options, hp);
            case AMSGRAD -> adamLike(AMSGrad::new, learningRate, options, hp);
            case RMSPROP -> new RmsProp(learningRate, put(hp, "rms_decay", options.decimal("optim.rms-decay", 0.95, 0, 0.999999)),
                    put(hp, "epsilon", options.decimal("optim.epsilon", 1e-8, 1e-300, 1)));
            case ADAGRAD -> new AdaGrad(learningRate, put(hp, "epsilon", options.decimal("optim.epsilon", 1e-6, 1e-300, 1)));
        };
        updater.setLrAndSchedule(learningRate, schedule);
        double decay = put(hp, "weight_decay", options.decimal("optim.weight-decay", entry.family() == Family.ADAMW ? 0.01 : 0, 0, 1));
        double clip = put(hp, "clip_norm", options.decimal("optim.clip-norm", 0, 0, Double.MAX_VALUE));
        hp.put("warmup", (double) warmup);
        return new Optimizer(key, updater, clip, decay, hp);
    }

    /** Adam, AdaMax and AMSGrad: the same hyper-parameters, each in its own ND4J class. */
    private interface AdamFamily {
        IUpdater create(double learningRate, double beta1, double beta2, double epsilon);
    }

    private static IUpdater adamLike(AdamFamily family, double learningRate, ModelOptions options, Map<String, Double> hp) {
        return family.create(learningRate, put(hp, "beta1", options.decimal("optim.beta1", 0.9, 0, 0.999999)),
                put(hp, "beta2", options.decimal("optim.beta2", 0.999, 0, 0.999999999)),
                put(hp, "epsilon", options.decimal("optim.epsilon", 1e-8, 1e-300, 1)));
    }

    private static double put(Map<String, Double> hp, String name, double value) {
        hp.put(name, value);
        return value;
    }

    private static Entry entry(String name) {
        Entry entry = name == null ? null : ENTRIES.get(name.toLowerCase(Locale.ROOT));
        if (entry == null) {
            throw new IllegalArgumentException("unknown optimizer '" + name + "'; known optimizers: " + String.join(", ", names()));
        }
        return entry;
    }
}
