package io.ringtrain.coordinator.k8s;

import io.aeron.driver.ThreadingMode;
import io.ringtrain.allreduce.DataPlaneContext;
import java.util.Properties;
import java.util.Set;

/** A worker's data-plane settings as its -Dringtrain.aeron.* properties make them (DataPlaneContext's defaults). */
final class AeronSettings {

    private static final String PREFIX = "ringtrain.aeron.";
    /** The ringtrain.aeron.* properties DataPlaneContext reads; any other is a typo that changes nothing. */
    static final Set<String> KNOWN = Set.of("term-length", "mtu", "socket-buffer", "small-message-threshold", "threading", "idle-strategy");

    private AeronSettings() {
    }

    /** A concluded context for a rank listening on {@code endpoint}; conclude() rejects bad values. */
    static DataPlaneContext of(JvmOptions jvm, String endpoint) {
        Properties p = jvm.systemProperties();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith(PREFIX) && !KNOWN.contains(name.substring(PREFIX.length()))) {
                throw new AssertionError("-D" + name + " is not a data-plane setting; known: " + KNOWN);
            }
        }
        DataPlaneContext ctx = new DataPlaneContext().endpoint(endpoint);
        String v;
        if ((v = p.getProperty(PREFIX + "term-length")) != null) {
            ctx.termLength(Integer.parseInt(v));
        }
        if ((v = p.getProperty(PREFIX + "mtu")) != null) {
            ctx.mtuLength(Integer.parseInt(v));
        }
        if ((v = p.getProperty(PREFIX + "socket-buffer")) != null) {
            ctx.socketBufferLength(Integer.parseInt(v));
        }
        if ((v = p.getProperty(PREFIX + "small-message-threshold")) != null) {
            ctx.smallMessageThreshold(Integer.parseInt(v));
        }
        if ((v = p.getProperty(PREFIX + "threading")) != null) {
            ctx.driverThreading(ThreadingMode.valueOf(v));
        }
        if ((v = p.getProperty(PREFIX + "idle-strategy")) != null) {
            ctx.idleStrategy(v);
        }
        return ctx.conclude();
    }

    /**
     * Cores the data plane keeps busy besides the compute threads: a busy-spinning data-plane thread
     * takes one, and a DEDICATED media driver adds its conductor, sender and receiver threads.
     */
    static int dataPlaneCores(DataPlaneContext ctx) {
        int cores = "busy-spin".equals(ctx.idleStrategy()) ? 1 : 0;
        return cores + (ctx.driverThreading() == ThreadingMode.DEDICATED ? 3 : 0);
    }
}
