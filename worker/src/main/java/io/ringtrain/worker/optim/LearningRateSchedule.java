package io.ringtrain.worker.optim;

import java.util.Locale;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.InverseSchedule;
import org.nd4j.linalg.schedule.PolySchedule;
import org.nd4j.linalg.schedule.RampSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.SigmoidSchedule;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * Parses {@code -O optim.schedule=...} and {@code -O optim.warmup=N} into one of ND4J's learning-rate schedules, all
 * counted in optimizer steps (ND4J's {@code ITERATION}), starting from the run's learning rate {@code lr}:
 * <ul>
 *   <li>{@code fixed} (default): {@code lr};</li>
 *   <li>{@code exponential:G}: {@code lr * G^step};</li>
 *   <li>{@code step:D:S}: {@code lr * D^floor(step / S)};</li>
 *   <li>{@code poly:P:N}: {@code lr * (1 - step/N)^P}, reaching 0 at step N;</li>
 *   <li>{@code inverse:G:P}: {@code lr / (1 + G*step)^P};</li>
 *   <li>{@code sigmoid:G:S}: {@code lr / (1 + exp(-G*(step - S)))};</li>
 * </ul>
 * and {@code optim.warmup=N} ramps any of them linearly from {@code lr/N} to full over the first N steps.
 */
final class LearningRateSchedule {

    private LearningRateSchedule() {
    }

    static final String FORMS = "fixed, exponential:GAMMA, step:DECAY:EVERY, poly:POWER:STEPS, inverse:GAMMA:POWER,"
            + " sigmoid:GAMMA:STEP";

    /** @return null for a fixed rate without warm-up (the updater then takes the plain learning rate) */
    static ISchedule parse(String text, double learningRate, int warmup) {
        ISchedule base = base(text.trim().toLowerCase(Locale.ROOT), learningRate);
        if (warmup > 0) {
            base = new RampSchedule(base == null ? new FixedSchedule(learningRate) : base,
                    warmup);
        }
        return base;
    }

    private static ISchedule base(String text, double lr) {
        String[] p = text.split(":");
        ScheduleType it = ScheduleType.ITERATION;
        return switch (p[0]) {
            case "fixed", "" -> expect(p, 0, null);
            case "exponential" -> expect(p, 1, new ExponentialSchedule(it, lr, number(p, 1, text)));
            case "step" -> expect(p, 2, new StepSchedule(it, lr, number(p, 1, text), number(p, 2, text)));
            case "poly" -> expect(p, 2, new PolySchedule(it, lr, number(p, 1, text), (int) number(p, 2, text)));
            case "inverse" -> expect(p, 2, new InverseSchedule(it, lr, number(p, 1, text), number(p, 2, text)));
            case "sigmoid" -> expect(p, 2, new SigmoidSchedule(it, lr, number(p, 1, text), (int) number(p, 2, text)));
            default -> throw new IllegalArgumentException("option optim.schedule=" + text + " is not a schedule; use one of: "
                    + FORMS);
        };
    }

    private static ISchedule expect(String[] parts, int arguments, ISchedule schedule) {
        if (parts.length != arguments + 1) {
            throw new IllegalArgumentException("option optim.schedule=" + String.join(":", parts) + " needs " + arguments
                    + " number(s) after '" + parts[0] + "'; the forms are: " + FORMS);
        }
        return schedule;
    }

    private static double number(String[] parts, int index, String text) {
        if (index >= parts.length) {
            return Double.NaN; // expect() reports the missing argument
        }
        try {
            double value = Double.parseDouble(parts[index]);
            if (!Double.isFinite(value) || value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option optim.schedule=" + text + ": '" + parts[index]
                    + "' is not a non-negative number; the forms are: " + FORMS);
        }
    }
}
