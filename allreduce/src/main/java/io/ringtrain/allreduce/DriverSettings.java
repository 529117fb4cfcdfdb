package io.ringtrain.allreduce;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.util.concurrent.TimeUnit;
import org.agrona.ErrorHandler;

/** Media-driver settings derived from a concluded {@link DataPlaneContext}. */
final class DriverSettings {
    /** Short linger: closed publications keep answering retransmit requests briefly, then free their memory. */
    static final long PUBLICATION_LINGER_NS = TimeUnit.MILLISECONDS.toNanos(200);
    static final int COUNTER_VALUES_BUFFER_LENGTH = 1 << 20;
    /** Aeron's minimum. */
    static final int ERROR_BUFFER_LENGTH = 4 << 20;

    private DriverSettings() {
    }

    static MediaDriver.Context embedded(DataPlaneContext ctx, ErrorHandler errors) {
        long peerTimeoutNs = ctx.peerTimeout().toNanos();
        return base(ctx.aeronDirectoryName(), ctx.driverThreading(), errors)
                .sharedIdleStrategy(ctx.newIdleStrategy())
                .mtuLength(ctx.mtuLength())
                .ipcMtuLength(ctx.mtuLength())
                .publicationTermBufferLength(ctx.termLength())
                .ipcTermBufferLength(ctx.termLength())
                .initialWindowLength(ctx.initialWindowLength())
                .socketRcvbufLength(ctx.socketBufferLength())
                .socketSndbufLength(ctx.socketBufferLength())
                .publicationConnectionTimeoutNs(peerTimeoutNs)
                .imageLivenessTimeoutNs(peerTimeoutNs)
                .timerIntervalNs(timerIntervalNs(peerTimeoutNs))
                .publicationLingerTimeoutNs(PUBLICATION_LINGER_NS);
    }

    /**
     * The driver checks liveness (of images, publications and clients) on this timer, 1 s by Aeron's default: a
     * tenth of the peer timeout keeps detection close to the timeout itself.
     */
    static long timerIntervalNs(long peerTimeoutNs) {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), peerTimeoutNs / 10));
    }

    /** A standalone driver that ranks of one host attach to for IPC (benchmarks, tests, one-pod multi-GPU). */
    static MediaDriver.Context base(String directory, ThreadingMode threading, ErrorHandler errors) {
        // Aeron's defaults size the command-and-control file for thousands of streams (about 46 MiB of /dev/shm per
        // driver); a rank has a handful, so the minimum counter space (8192 counters) suffices.
        return new MediaDriver.Context()
                .counterValuesBufferLength(COUNTER_VALUES_BUFFER_LENGTH)
                .errorBufferLength(ERROR_BUFFER_LENGTH)
                .aeronDirectoryName(directory)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .warnIfDirectoryExists(false)
                // Its tasks (name resolution) run on the conductor instead: one thread fewer per driver, which on a
                // 2-core host running several ranks is one thread fewer waking up every millisecond.
                .asyncExecutorEnabled(false)
                .printConfigurationOnStart(false)
                .threadingMode(threading)
                .errorHandler(errors);
    }
}
