package io.ringtrain.allreduce;

import java.util.function.BooleanSupplier;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Three levels of waiting, chosen each idle cycle from what the data plane has in flight:
 * <ul>
 * <li><b>latency-bound</b> (a small collective, a ring forming, a command): spin briefly, then yield. A frame is due
 *     any microsecond, and a park costs ~90 us here (kernel timer slack on this virtual machine), on every hop.</li>
 * <li><b>active</b> (a large collective, bytes the invoked driver has still to send, or work moments ago): back off
 *     to parks of at most {@code activeMaxParkNs}; deep pipelines ride those out.</li>
 * <li><b>quiescent</b> (nothing in flight for a while): back off to parks of at most {@code quiescentMaxParkNs}.
 *     Between collectives nobody waits on this thread: a caller that submits work unparks it, and a caller that
 *     blocks drives the duty cycle itself. Measured: two idle UDP ranks parked at 100 us woke ~5,000 times a
 *     second each and burnt 11-16 % of a core each, taken from the training computation they sit beside.</li>
 * </ul>
 */
final class AdaptiveIdleStrategy implements IdleStrategy {
    private static final int SPINS_BEFORE_YIELD = 20;

    private final BooleanSupplier latencyBound;
    private final BooleanSupplier quiescent;
    private final IdleStrategy whenActive;
    private final IdleStrategy whenQuiescent;
    private int spins;

    /** Without a quiescent level: for callers, who only ever wait on a collective in flight. */
    AdaptiveIdleStrategy(BooleanSupplier latencyBound, long activeMaxParkNs) {
        this(latencyBound, () -> false, activeMaxParkNs, activeMaxParkNs);
    }

    AdaptiveIdleStrategy(BooleanSupplier latencyBound, BooleanSupplier quiescent, long activeMaxParkNs,
                         long quiescentMaxParkNs) {
        this.latencyBound = latencyBound;
        this.quiescent = quiescent;
        this.whenActive = new BackoffIdleStrategy(10, 10, 1_000, activeMaxParkNs);
        this.whenQuiescent = new BackoffIdleStrategy(0, 0, activeMaxParkNs, quiescentMaxParkNs);
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
        if (latencyBound.getAsBoolean()) {
            if (spins++ < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        } else if (quiescent.getAsBoolean()) {
            whenQuiescent.idle();
        } else {
            whenQuiescent.reset();
            whenActive.idle();
        }
    }

    @Override
    public void reset() {
        spins = 0;
        whenActive.reset();
        whenQuiescent.reset();
    }

    @Override
    public String alias() {
        return "adaptive";
    }
}
