package io.ringtrain.allreduce;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/** Idle strategies by name, for configuration files and flags. */
final class IdleStrategies {
    private IdleStrategies() {
    }

    /**
     * The park ceiling of {@code backoff}. Linux rounds short parks up to ~50-60 us anyway; 100 us keeps an
     * idle rank cheap on a shared 2-core host while a collective that has just gone quiet reacts quickly.
     */
    static final long BACKOFF_MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(100);

    /** The default: yield while a collective runs, park when idle. Needs the agent, so the data plane builds it. */
    static final String ADAPTIVE = "adaptive";

    static Supplier<IdleStrategy> parse(String name) {
        if (ADAPTIVE.equals(name)) {
            return () -> new BackoffIdleStrategy(10, 10, 1_000, BACKOFF_MAX_PARK_NS);
        }
        return switch (name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "backoff" -> () -> new BackoffIdleStrategy(50, 50, TimeUnit.MICROSECONDS.toNanos(1), BACKOFF_MAX_PARK_NS);
            case "yielding" -> YieldingIdleStrategy::new;
            case "busy-spin" -> BusySpinIdleStrategy::new;
            case "sleeping" -> () -> new SleepingMillisIdleStrategy(1);
            default -> throw new DataPlaneException(
                    "unknown idle strategy '" + name + "': use adaptive (default), backoff, yielding, busy-spin or sleeping");
        };
    }
}
