package io.ringtrain.allreduce;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one media driver of a host that the ranks running there attach to ({@link DataPlaneContext#sharedDriver}):
 * ranks on it exchange frames over IPC (shared memory, no sockets, no driver thread in the path), and reach ranks
 * on other hosts over UDP through it. A launcher starts it before the workers and closes it after them:
 *
 * <pre>{@code
 * try (SharedDriver driver = SharedDriver.launch(new SharedDriver.Context().ranksOnHost(4).worldSize(8))) {
 *     // start each worker with: new DataPlaneContext().endpoint("10.0.0.7:0").sharedDriver(driver.directory())
 * }
 * }</pre>
 *
 * <p>The driver writes a random host identity into its directory; a rank attached to it advertises
 * {@code host:port/ipc:<stream>@<host-id>}, and ranks with the same host id use IPC between them. A worker killed
 * while attached is noticed by the driver within the peer timeout (its client liveness timeout): its publications
 * and inbox are removed, its peers fail with {@link CollectiveException.PeerLost}, and a replacement process can
 * attach at once. The directory belongs to the launcher: workers never delete it, {@link #close()} does, and one
 * left behind by a launcher that was killed is removed by the next launch on the host.
 */
public final class SharedDriver implements AutoCloseable {
    /** The file in the driver directory that holds the host identity. */
    static final String HOST_ID_FILE = "ringtrain-host-id";

    private static final System.Logger LOG = System.getLogger(SharedDriver.class.getName());
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final MediaDriver driver;
    private final String directory;
    private final String hostId;

    private SharedDriver(MediaDriver driver, String directory, String hostId) {
        this.driver = driver;
        this.directory = directory;
        this.hostId = hostId;
    }

    /** A fresh directory under /dev/shm named so that a later run can remove it if this process is killed. */
    public static String defaultDirectory() {
        String base = new File("/dev/shm").isDirectory() ? "/dev/shm" : System.getProperty("java.io.tmpdir");
        return base + File.separator + DriverDirectories.PREFIX + ProcessHandle.current().pid() + "-shared-"
                + SEQUENCE.incrementAndGet();
    }

    /** A driver in {@code directory} with default settings. */
    public static SharedDriver launch(String directory) {
        return launch(new Context().directory(directory));
    }

    /**
     * Checks that the directory's file system has room for every rank of the host, then starts the driver.
     *
     * @throws DataPlaneException saying how much shared memory is free and needed, or why the driver cannot start.
     */
    public static SharedDriver launch(Context ctx) {
        ctx.conclude();
        File dir = new File(ctx.directory()).getAbsoluteFile();
        if (dir.getParentFile() != null) {
            DriverDirectories.deleteOrphans(dir.getParentFile());
        }
        if (ctx.checkSharedMemory()) {
            SharedMemoryBudget.checkSharedDriver(ctx);
        }
        long peerTimeoutNs = ctx.peerTimeout().toNanos();
        MediaDriver.Context driverCtx = DriverSettings.base(ctx.directory(), ctx.threading(),
                        e -> LOG.log(System.Logger.Level.WARNING, "Aeron: " + e.getMessage(), e))
                .sharedIdleStrategy(IdleStrategies.parse(ctx.idleStrategy()).get())
                // A killed worker stops sending keep-alives: after this long the driver removes its publications and
                // inbox, which is what tells its peers (image lost, publication not connected) and lets a
                // replacement attach.
                .clientLivenessTimeoutNs(peerTimeoutNs)
                .timerIntervalNs(DriverSettings.timerIntervalNs(peerTimeoutNs))
                .publicationUnblockTimeoutNs(peerTimeoutNs * 2 + TimeUnit.SECONDS.toNanos(1))
                .imageLivenessTimeoutNs(peerTimeoutNs)
                .publicationConnectionTimeoutNs(peerTimeoutNs)
                .publicationLingerTimeoutNs(DriverSettings.PUBLICATION_LINGER_NS)
                .socketRcvbufLength(ctx.socketBufferLength())
                .socketSndbufLength(ctx.socketBufferLength())
                .initialWindowLength(Math.min(ctx.socketBufferLength(), ctx.termLength() / 2));
        MediaDriver driver = MediaDriver.launch(driverCtx);
        String hostId = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
        try {
            Files.writeString(Path.of(ctx.directory(), HOST_ID_FILE), hostId, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            driver.close();
            DriverDirectories.deleteRecursively(Path.of(ctx.directory()));
            throw new DataPlaneException("cannot write the host identity into " + ctx.directory() + ": " + e.getMessage(), e);
        }
        return new SharedDriver(driver, ctx.directory(), hostId);
    }

    /**
     * The host identity of the driver in {@code directory}: the one a {@link SharedDriver} wrote, else (a driver
     * started some other way) {@code fallback} or one made from the host name and the directory.
     */
    static String hostIdOf(String directory, String fallback) {
        try {
            String id = Files.readString(Path.of(directory, HOST_ID_FILE), StandardCharsets.US_ASCII).trim();
            if (!id.isEmpty()) {
                return id;
            }
        } catch (IOException notOurs) {
            // Not a ringtrain shared driver.
        }
        if (fallback != null) {
            return fallback;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "host";
        }
        return (host + "-" + Integer.toHexString(new File(directory).getAbsolutePath().hashCode()))
                .replaceAll("[^A-Za-z0-9._-]", "_").toLowerCase(Locale.ROOT);
    }

    public String directory() {
        return directory;
    }

    /** The identity ranks attached to this driver advertise in their endpoints. */
    public String hostId() {
        return hostId;
    }

    /** Stops the driver and removes its directory. Close it after the workers attached to it have stopped. */
    @Override
    public void close() {
        driver.close();
        DriverDirectories.deleteRecursively(Path.of(directory));
    }

    /** Settings of a shared driver, Aeron-style; {@link #conclude()} validates them. */
    public static final class Context {
        private String directory;
        private int ranksOnHost = 1;
        private int worldSize = 2;
        private int termLength = DataPlaneContext.DEFAULT_TERM_LENGTH;
        private int socketBufferLength = DataPlaneContext.DEFAULT_SOCKET_BUFFER_LENGTH;
        private Duration peerTimeout = DataPlaneContext.DEFAULT_PEER_TIMEOUT;
        private ThreadingMode threading = ThreadingMode.SHARED;
        private String idleStrategy = "backoff";
        private boolean checkSharedMemory = true;
        private boolean concluded;

        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (directory == null) {
                directory = defaultDirectory();
            }
            if (ranksOnHost < 1) {
                throw new DataPlaneException("shared driver: ranks on host " + ranksOnHost + " must be at least 1");
            }
            if (worldSize < ranksOnHost) {
                throw new DataPlaneException("shared driver: world size " + worldSize + " must be at least the ranks on"
                        + " the host (" + ranksOnHost + ")");
            }
            if (peerTimeout == null || peerTimeout.toMillis() < 200) {
                throw new DataPlaneException("shared driver: peer timeout " + peerTimeout + " must be at least 200 ms");
            }
            if (threading == ThreadingMode.INVOKER) {
                throw new DataPlaneException("shared driver: threading INVOKER needs a caller to run the driver; use SHARED,"
                        + " SHARED_NETWORK or DEDICATED");
            }
            IdleStrategies.parse(idleStrategy);
            concluded = true;
            return this;
        }

        /** Where the driver's files go; default a fresh directory under /dev/shm. */
        public Context directory(String directory) {
            this.directory = directory;
            return this;
        }

        public String directory() {
            return directory;
        }

        /** How many ranks will attach, for the shared-memory check (default 1). */
        public Context ranksOnHost(int ranksOnHost) {
            this.ranksOnHost = ranksOnHost;
            return this;
        }

        public int ranksOnHost() {
            return ranksOnHost;
        }

        /** Size of the rings the ranks will form, for the shared-memory check (default 2). */
        public Context worldSize(int worldSize) {
            this.worldSize = worldSize;
            return this;
        }

        public int worldSize() {
            return worldSize;
        }

        /** The term length the ranks use ({@link DataPlaneContext#termLength}), for the shared-memory check. */
        public Context termLength(int termLength) {
            this.termLength = termLength;
            return this;
        }

        public int termLength() {
            return termLength;
        }

        public Context socketBufferLength(int socketBufferLength) {
            this.socketBufferLength = socketBufferLength;
            return this;
        }

        public int socketBufferLength() {
            return socketBufferLength;
        }

        /** How soon a killed worker is noticed (default: the data plane's peer timeout). */
        public Context peerTimeout(Duration peerTimeout) {
            this.peerTimeout = peerTimeout;
            return this;
        }

        public Duration peerTimeout() {
            return peerTimeout;
        }

        /** SHARED (default: one thread) suits a small host; DEDICATED gives the driver three threads. */
        public Context threading(ThreadingMode threading) {
            this.threading = threading;
            return this;
        }

        public ThreadingMode threading() {
            return threading;
        }

        /** The driver threads' idle strategy (default backoff). */
        public Context idleStrategy(String idleStrategy) {
            this.idleStrategy = idleStrategy;
            return this;
        }

        public String idleStrategy() {
            return idleStrategy;
        }

        public Context checkSharedMemory(boolean checkSharedMemory) {
            this.checkSharedMemory = checkSharedMemory;
            return this;
        }

        public boolean checkSharedMemory() {
            return checkSharedMemory;
        }
    }
}
