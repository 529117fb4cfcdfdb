package io.ringtrain.worker;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings of one worker process (not of the run: those come from the coordinator, see
 * {@link RunSettings}). Fluent setters, same-name getters; {@link #conclude()} validates and
 * derives the rest.
 */
public final class WorkerContext {

    public static final int NO_ORDINAL = -1;
    private static final Pattern TRAILING_ORDINAL = Pattern.compile(".*-(\\d{1,6})");

    private String name = "";
    private int ordinal = NO_ORDINAL;
    private boolean ordinalFromName;
    private String dataPlaneHost = "127.0.0.1";
    private int dataPlanePort;
    private Config dataPlaneSettings = com.typesafe.config.ConfigFactory.empty();
    private Duration welcomeTimeout = Duration.ofSeconds(60);
    private Duration closeTimeout = Duration.ofSeconds(15);
    private Duration leaveTimeout = Duration.ofSeconds(20);
    private Duration coordinatorTimeout = Duration.ofSeconds(60);
    private boolean concluded;

    /** Reads {@code ringtrain.worker} (see reference.conf). */
    public static WorkerContext fromConfig(Config config) {
        Config c = config.getConfig("ringtrain.worker");
        return new WorkerContext()
                .name(c.getString("name"))
                .ordinal(c.getInt("ordinal"))
                .ordinalFromName(c.getBoolean("ordinal-from-name"))
                .dataPlaneHost(c.getString("data-plane.host"))
                .dataPlanePort(c.getInt("data-plane.port"))
                .dataPlaneSettings(c.getConfig("data-plane"))
                .welcomeTimeout(c.getDuration("welcome-timeout"))
                .closeTimeout(c.getDuration("close-timeout"))
                .leaveTimeout(c.getDuration("leave-timeout"))
                .coordinatorTimeout(c.getDuration("coordinator-timeout"));
    }

    /**
     * Validates and fills in derived values: an empty name becomes $HOSTNAME (a pod's name) or
     * {@code worker-<pid>}; with {@code ordinalFromName} a name like {@code ringtrain-worker-3}
     * gives ordinal 3 (StatefulSet pods), unless an ordinal was set explicitly.
     */
    public WorkerContext conclude() {
        if (name == null || name.isBlank()) {
            String host = System.getenv("HOSTNAME");
            name = host != null && !host.isBlank() ? host : "worker-" + ProcessHandle.current().pid();
        }
        if (ordinal == NO_ORDINAL && ordinalFromName) {
            Matcher m = TRAILING_ORDINAL.matcher(name);
            if (!m.matches()) {
                throw new IllegalArgumentException("ringtrain.worker.ordinal-from-name is on but the worker name '"
                        + name + "' does not end in -<number>; set ringtrain.worker.ordinal (--ordinal) instead");
            }
            ordinal = Integer.parseInt(m.group(1));
        }
        if (ordinal < NO_ORDINAL) {
            throw new IllegalArgumentException("ringtrain.worker.ordinal must be 0 or more (or -1 for none), got " + ordinal);
        }
        if (dataPlaneHost == null || dataPlaneHost.isBlank()) {
            throw new IllegalArgumentException("ringtrain.worker.data-plane.host must be set (the address peers reach this worker at)");
        }
        if (dataPlanePort < 0 || dataPlanePort > 65535) {
            throw new IllegalArgumentException("ringtrain.worker.data-plane.port must be 0 (any free port) to 65535, got " + dataPlanePort);
        }
        requirePositive(welcomeTimeout, "welcome-timeout");
        requirePositive(closeTimeout, "close-timeout");
        requirePositive(leaveTimeout, "leave-timeout");
        requirePositive(coordinatorTimeout, "coordinator-timeout");
        concluded = true;
        return this;
    }

    private static void requirePositive(Duration d, String key) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("ringtrain.worker." + key + " must be a positive duration, got " + d);
        }
    }

    public boolean isConcluded() {
        return concluded;
    }

    public WorkerContext name(String name) {
        this.name = name;
        return this;
    }

    public String name() {
        return name;
    }

    /** Stable rank hint; {@link #NO_ORDINAL} for join order. */
    public WorkerContext ordinal(int ordinal) {
        this.ordinal = ordinal;
        return this;
    }

    public int ordinal() {
        return ordinal;
    }

    public WorkerContext ordinalFromName(boolean ordinalFromName) {
        this.ordinalFromName = ordinalFromName;
        return this;
    }

    public boolean ordinalFromName() {
        return ordinalFromName;
    }

    /** Address peers reach this worker's data plane at (a pod IP on Kubernetes). */
    public WorkerContext dataPlaneHost(String dataPlaneHost) {
        this.dataPlaneHost = dataPlaneHost;
        return this;
    }

    public String dataPlaneHost() {
        return dataPlaneHost;
    }

    /** UDP port of the data plane; 0 lets the session pick a free one. */
    public WorkerContext dataPlanePort(int dataPlanePort) {
        this.dataPlanePort = dataPlanePort;
        return this;
    }

    public int dataPlanePort() {
        return dataPlanePort;
    }

    /** {@code ringtrain.worker.data-plane}: the Aeron settings a session maps onto its data plane. */
    public WorkerContext dataPlaneSettings(Config dataPlaneSettings) {
        this.dataPlaneSettings = dataPlaneSettings;
        return this;
    }

    public Config dataPlaneSettings() {
        return dataPlaneSettings;
    }

    /** How long to wait for a coordinator to contact this worker after start. */
    public WorkerContext welcomeTimeout(Duration welcomeTimeout) {
        this.welcomeTimeout = welcomeTimeout;
        return this;
    }

    public Duration welcomeTimeout() {
        return welcomeTimeout;
    }

    /** Bound on closing the session when the run ends; past it the worker stops regardless. */
    public WorkerContext closeTimeout(Duration closeTimeout) {
        this.closeTimeout = closeTimeout;
        return this;
    }

    public Duration closeTimeout() {
        return closeTimeout;
    }

    /**
     * A worker asked to leave (SIGTERM, eviction) finishes its step, waits this long at most for the coordinator
     * to release it, then goes anyway. Keep it under the pod's termination grace period (30 s by default).
     */
    public WorkerContext leaveTimeout(Duration leaveTimeout) {
        this.leaveTimeout = leaveTimeout;
        return this;
    }

    public Duration leaveTimeout() {
        return leaveTimeout;
    }

    /**
     * After losing the coordinator, a worker goes on training and waits this long at most for a new coordinator (a
     * standby taking over, or a restarted one) to welcome it; then it gives up.
     */
    public WorkerContext coordinatorTimeout(Duration coordinatorTimeout) {
        this.coordinatorTimeout = coordinatorTimeout;
        return this;
    }

    public Duration coordinatorTimeout() {
        return coordinatorTimeout;
    }

    @Override
    public String toString() {
        return "WorkerContext{name=" + name + ", ordinal=" + ordinal + ", dataPlane=" + dataPlaneHost + ":" + dataPlanePort + "}";
    }
}
