package io.ringtrain.allreduce;

import java.util.function.BooleanSupplier;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Yields while a collective is in flight (a frame is due any microsecond, and parking would add the kernel's
 * ~50 us timer slack to every hop) and backs off to short parks when there is nothing to do (so an idle rank
 * leaves the cores to the training computation). Callers submitting work unpark the thread at once.
 *
 * <p>Measured on a 2-core host with 4 rank processes: 4 KiB all-reduce median ~0.3 ms with yielding against
 * ~1 ms with parks only, and no CPU burnt between steps.
 */
final class AdaptiveIdleStrategy implements IdleStrategy {
    private static final int SPINS_BEFORE_YIELD = 20;

    private final BooleanSupplier busy;
    private final IdleStrategy whenIdle;
    private int spins;

    AdaptiveIdleStrategy(BooleanSupplier busy, long maxParkNs) {
        this.busy = busy;
        this.whenIdle = new BackoffIdleStrategy(10, 10, 1_000, maxParkNs);
    }

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    @Override
    public void idle() {
        if (busy.getAsBoolean()) {
            if (spins++ < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        } else {
            whenIdle.idle();
        }
    }

    @Override
    public void reset() {
        spins = 0;
        whenIdle.reset();
    }

    @Override
    public String alias() {
        return "adaptive";
    }
}
