package io.ringtrain.coordinator;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the coordinator. Fluent setters, same-name getters; {@link #conclude()} validates.
 */
public final class CoordinatorContext {

    private int minWorkers = 1;
    private int maxWorkers = 1;
    private Duration rendezvousTimeout = Duration.ofSeconds(120);
    private Duration rendezvousSettle = Duration.ofSeconds(2);
    private Duration ringTimeout = Duration.ofSeconds(120);
    private Duration shutdownGrace = Duration.ofSeconds(15);
    private boolean resume;
    private boolean concluded;

    /** Reads {@code ringtrain.coordinator} (see reference.conf). */
    public static CoordinatorContext fromConfig(Config config) {
        Config c = config.getConfig("ringtrain.coordinator");
        return new CoordinatorContext()
                .minWorkers(c.getInt("min-workers"))
                .maxWorkers(c.getInt("max-workers"))
                .rendezvousTimeout(c.getDuration("rendezvous-timeout"))
                .rendezvousSettle(c.getDuration("rendezvous-settle"))
                .ringTimeout(c.getDuration("ring-timeout"))
                .shutdownGrace(c.getDuration("shutdown-grace"))
                .resume(c.getBoolean("resume"));
    }

    public CoordinatorContext conclude() {
        if (minWorkers < 1) {
            throw new IllegalArgumentException("ringtrain.coordinator.min-workers must be at least 1, got " + minWorkers);
        }
        if (maxWorkers < minWorkers) {
            throw new IllegalArgumentException("ringtrain.coordinator.max-workers (" + maxWorkers
                    + ") must be at least min-workers (" + minWorkers + ")");
        }
        requirePositive(rendezvousTimeout, "rendezvous-timeout");
        requirePositive(ringTimeout, "ring-timeout");
        requirePositive(shutdownGrace, "shutdown-grace");
        if (rendezvousSettle == null || rendezvousSettle.isNegative()) {
            throw new IllegalArgumentException("ringtrain.coordinator.rendezvous-settle must be 0 or more, got " + rendezvousSettle);
        }
        concluded = true;
        return this;
    }

    private static void requirePositive(Duration d, String key) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("ringtrain.coordinator." + key + " must be a positive duration, got " + d);
        }
    }

    boolean isConcluded() {
        return concluded;
    }

    /** Workers the ring needs before training can start. */
    public CoordinatorContext minWorkers(int minWorkers) {
        this.minWorkers = minWorkers;
        return this;
    }

    public int minWorkers() {
        return minWorkers;
    }

    /** Workers beyond this are turned away. */
    public CoordinatorContext maxWorkers(int maxWorkers) {
        this.maxWorkers = maxWorkers;
        return this;
    }

    public int maxWorkers() {
        return maxWorkers;
    }

    /** How long to wait for min-workers to register before the run fails. */
    public CoordinatorContext rendezvousTimeout(Duration rendezvousTimeout) {
        this.rendezvousTimeout = rendezvousTimeout;
        return this;
    }

    public Duration rendezvousTimeout() {
        return rendezvousTimeout;
    }

    /** Once min-workers are in, how long to wait for more (up to max-workers) before forming the ring. */
    public CoordinatorContext rendezvousSettle(Duration rendezvousSettle) {
        this.rendezvousSettle = rendezvousSettle;
        return this;
    }

    public Duration rendezvousSettle() {
        return rendezvousSettle;
    }

    /** How long every rank has to confirm it joined a ring generation. */
    public CoordinatorContext ringTimeout(Duration ringTimeout) {
        this.ringTimeout = ringTimeout;
        return this;
    }

    public Duration ringTimeout() {
        return ringTimeout;
    }

    /** After the run ends, how long to wait for workers to leave the cluster before stopping anyway. */
    public CoordinatorContext shutdownGrace(Duration shutdownGrace) {
        this.shutdownGrace = shutdownGrace;
        return this;
    }

    public Duration shutdownGrace() {
        return shutdownGrace;
    }

    /** Start from the newest committed checkpoint of the run instead of step 0. */
    public CoordinatorContext resume(boolean resume) {
        this.resume = resume;
        return this;
    }

    public boolean resume() {
        return resume;
    }
}
