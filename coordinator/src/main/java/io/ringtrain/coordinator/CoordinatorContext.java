package io.ringtrain.coordinator;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the coordinator. Fluent setters, same-name getters; {@link #conclude()} validates.
 */
public final class CoordinatorContext {

    private int minWorkers = 1;
    private int maxWorkers = 1;
    private int initialWorkers;
    private Duration rendezvousTimeout = Duration.ofSeconds(120);
    private Duration rendezvousSettle = Duration.ofSeconds(2);
    private Duration ringTimeout = Duration.ofSeconds(120);
    private Duration shutdownGrace = Duration.ofSeconds(15);
    private Duration abortAckTimeout = Duration.ofSeconds(2);
    private Duration suspectTimeout = Duration.ofMillis(500);
    private Duration takeoverTimeout = Duration.ofSeconds(5);
    private Duration handoverMargin = Duration.ofSeconds(1);
    private Duration stopTimeout = Duration.ofSeconds(60);
    private long checkpointBeforeLeave;
    private ResumeMode resume = ResumeMode.NEVER;
    private boolean concluded;

    /** Reads {@code ringtrain.coordinator} (see reference.conf). */
    public static CoordinatorContext fromConfig(Config config) {
        Config c = config.getConfig("ringtrain.coordinator");
        return new CoordinatorContext()
                .minWorkers(c.getInt("min-workers"))
                .maxWorkers(c.getInt("max-workers"))
                .initialWorkers(c.getInt("initial-workers"))
                .rendezvousTimeout(c.getDuration("rendezvous-timeout"))
                .rendezvousSettle(c.getDuration("rendezvous-settle"))
                .ringTimeout(c.getDuration("ring-timeout"))
                .shutdownGrace(c.getDuration("shutdown-grace"))
                .abortAckTimeout(c.getDuration("abort-ack-timeout"))
                .suspectTimeout(c.getDuration("suspect-timeout"))
                .takeoverTimeout(c.getDuration("takeover-timeout"))
                .handoverMargin(c.getDuration("handover-margin"))
                .stopTimeout(c.getDuration("stop-timeout"))
                .checkpointBeforeLeave(c.getLong("checkpoint-before-leave"))
                .resume(ResumeMode.parse(c.getString("resume"), "ringtrain.coordinator.resume"));
    }

    public CoordinatorContext conclude() {
        if (minWorkers < 1) {
            throw new IllegalArgumentException("ringtrain.coordinator.min-workers must be at least 1, got " + minWorkers);
        }
        if (initialWorkers == 0) {
            initialWorkers = minWorkers;
        }
        if (initialWorkers < minWorkers || initialWorkers > maxWorkers) {
            throw new IllegalArgumentException("ringtrain.coordinator.initial-workers (" + initialWorkers
                    + ") must be between min-workers (" + minWorkers + ") and max-workers (" + maxWorkers + ")");
        }
        if (maxWorkers < minWorkers) {
            throw new IllegalArgumentException("ringtrain.coordinator.max-workers (" + maxWorkers
                    + ") must be at least min-workers (" + minWorkers + ")");
        }
        requirePositive(rendezvousTimeout, "rendezvous-timeout");
        requirePositive(ringTimeout, "ring-timeout");
        requirePositive(shutdownGrace, "shutdown-grace");
        requirePositive(abortAckTimeout, "abort-ack-timeout");
        requirePositive(suspectTimeout, "suspect-timeout");
        requirePositive(takeoverTimeout, "takeover-timeout");
        requirePositive(stopTimeout, "stop-timeout");
        if (resume == null) {
            throw new IllegalArgumentException("ringtrain.coordinator.resume must be never, always or auto");
        }
        if (handoverMargin == null || handoverMargin.isNegative()) {
            throw new IllegalArgumentException("ringtrain.coordinator.handover-margin must be 0 or more, got " + handoverMargin);
        }
        if (checkpointBeforeLeave < 0) {
            throw new IllegalArgumentException("ringtrain.coordinator.checkpoint-before-leave must be 0 (off) or a number of steps, got "
                    + checkpointBeforeLeave);
        }
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

    /**
     * Workers the first ring waits for (then it forms with up to max-workers after the settle time); later rings
     * go on with min-workers. 0: min-workers.
     */
    public CoordinatorContext initialWorkers(int initialWorkers) {
        this.initialWorkers = initialWorkers;
        return this;
    }

    public int initialWorkers() {
        return initialWorkers;
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

    /**
     * After the coordinator aborts a broken ring, a member that does not acknowledge within this time (its actor
     * answers at once unless the process is frozen or cut off) is treated as lost and fenced.
     */
    public CoordinatorContext abortAckTimeout(Duration abortAckTimeout) {
        this.abortAckTimeout = abortAckTimeout;
        return this;
    }

    public Duration abortAckTimeout() {
        return abortAckTimeout;
    }

    /**
     * A member whose loss a peer's data plane saw (its publication or image went away) and that does not acknowledge
     * the abort within this time is treated as lost: shorter than {@link #abortAckTimeout()}, because a peer already
     * saw it go.
     */
    public CoordinatorContext suspectTimeout(Duration suspectTimeout) {
        this.suspectTimeout = suspectTimeout;
        return this;
    }

    public Duration suspectTimeout() {
        return suspectTimeout;
    }

    /**
     * A coordinator that takes over a running run (the previous one was lost) waits this long at most for every
     * worker of the ring to register again; those that do not are treated as lost.
     */
    public CoordinatorContext takeoverTimeout(Duration takeoverTimeout) {
        this.takeoverTimeout = takeoverTimeout;
        return this;
    }

    public Duration takeoverTimeout() {
        return takeoverTimeout;
    }

    /**
     * How long a standby waits, after the node that ran the coordinator is removed from the cluster, before it starts
     * the coordinator (Pekko's singleton removal margin). Pekko's default is the split brain resolver's stable-after,
     * so that across a partition the downed side has stopped its singleton first. A second coordinator for a moment
     * costs little here: it can reach no worker (they are on the majority side), generations fence whatever it sends,
     * and a checkpoint it commits is made of the same shards. So: short.
     */
    public CoordinatorContext handoverMargin(Duration handoverMargin) {
        this.handoverMargin = handoverMargin;
        return this;
    }

    public Duration handoverMargin() {
        return handoverMargin;
    }

    /**
     * How long a live member may take to stop (finish or abort the step it is in) once its ring stops; past it the
     * member is treated as lost. Longer than a step's compute time.
     */
    public CoordinatorContext stopTimeout(Duration stopTimeout) {
        this.stopTimeout = stopTimeout;
        return this;
    }

    public Duration stopTimeout() {
        return stopTimeout;
    }

    /**
     * When a worker leaves on purpose (SIGTERM, eviction) and the newest committed checkpoint is at least this many
     * steps old, the ring commits one at the step it paused at before going on without the worker; 0: never.
     */
    public CoordinatorContext checkpointBeforeLeave(long steps) {
        this.checkpointBeforeLeave = steps;
        return this;
    }

    public long checkpointBeforeLeave() {
        return checkpointBeforeLeave;
    }

    /** Where the run starts: step 0, the newest committed checkpoint, or that if there is one (see {@link ResumeMode}). */
    public CoordinatorContext resume(ResumeMode resume) {
        this.resume = resume;
        return this;
    }

    public ResumeMode resume() {
        return resume;
    }
}
