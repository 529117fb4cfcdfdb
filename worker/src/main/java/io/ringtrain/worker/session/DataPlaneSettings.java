package io.ringtrain.worker.session;

import com.typesafe.config.Config;
import io.aeron.driver.ThreadingMode;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.worker.WorkerContext;
import java.util.Locale;

/** Maps {@code ringtrain.worker.data-plane} onto a {@link DataPlaneContext}; keys that are absent keep its defaults. */
final class DataPlaneSettings {
    private DataPlaneSettings() {
    }

    static DataPlaneContext of(WorkerContext worker) {
        Config c = worker.dataPlaneSettings();
        DataPlaneContext ctx = new DataPlaneContext()
                .endpoint(worker.dataPlaneHost() + ":" + worker.dataPlanePort())
                .threadName("ringtrain-dataplane-" + worker.name());
        if (c.hasPath("term-length")) {
            ctx.termLength(Math.toIntExact(c.getBytes("term-length")));
        }
        if (c.hasPath("mtu")) {
            ctx.mtuLength(c.getInt("mtu"));
        }
        if (c.hasPath("socket-buffer")) {
            ctx.socketBufferLength(Math.toIntExact(c.getBytes("socket-buffer")));
        }
        if (c.hasPath("small-message-threshold")) {
            // -1 (the transport's default) is not a size, so numbers are taken as they are.
            Object raw = c.getValue("small-message-threshold").unwrapped();
            ctx.smallMessageThreshold(raw instanceof Number n ? n.intValue() : Math.toIntExact(c.getBytes("small-message-threshold")));
        }
        if (c.hasPath("threading")) {
            String mode = c.getString("threading").toUpperCase(Locale.ROOT);
            try {
                ctx.driverThreading(ThreadingMode.valueOf(mode));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ringtrain.worker.data-plane.threading = " + mode
                        + " is unknown: use INVOKER, SHARED or DEDICATED");
            }
        }
        if (c.hasPath("idle-strategy")) {
            ctx.idleStrategy(c.getString("idle-strategy"));
        }
        if (c.hasPath("collective-timeout")) {
            ctx.collectiveTimeout(c.getDuration("collective-timeout"));
        }
        if (c.hasPath("peer-timeout")) {
            ctx.peerTimeout(c.getDuration("peer-timeout"));
        }
        if (c.hasPath("connect-timeout")) {
            ctx.connectTimeout(c.getDuration("connect-timeout"));
        }
        if (c.hasPath("ranks-on-host")) {
            ctx.ranksOnHost(c.getInt("ranks-on-host"));
        }
        return ctx;
    }
}
