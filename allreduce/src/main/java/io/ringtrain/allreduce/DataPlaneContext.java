package io.ringtrain.allreduce;

import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.agrona.concurrent.IdleStrategy;

/**
 * Every setting of a rank's data plane, Aeron-style: fluent setters, same-name getters, defaults from named
 * constants (overridable by system properties {@code ringtrain.aeron.*}), and one {@link #conclude()} that
 * validates everything and derives the rest. Nothing else reads configuration.
 *
 * <p>Defaults suit a small host (2 cores, several ranks): the media driver runs inside the data-plane thread
 * ({@link ThreadingMode#INVOKER}), the thread yields during collectives and parks between them, terms are 4 MiB. On a GPU node with cores
 * to spare, {@code DEDICATED} threading and a {@code busy-spin} idle strategy cut latency.
 */
public final class DataPlaneContext {
    public static final int DEFAULT_STREAM_ID = 0x5254;
    public static final int DEFAULT_TERM_LENGTH = 4 << 20;
    public static final int MIN_TERM_LENGTH = 64 << 10;
    public static final int MAX_TERM_LENGTH = 1 << 30;
    /** Largest UDP payload Aeron accepts; safe on loopback and for IPC. */
    public static final int LOCAL_MTU_LENGTH = 65504;
    /** Aeron's default: fits a 1500-byte Ethernet frame, so no IP fragmentation on ordinary networks. */
    public static final int NETWORK_MTU_LENGTH = 1408;
    public static final int DEFAULT_SOCKET_BUFFER_LENGTH = 2 << 20;
    public static final Duration DEFAULT_COLLECTIVE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * A killed peer is noticed this long after its last frame or status message (a frozen one too: its client stops
     * its keepalives, and the driver drops its publications). Aeron heartbeats idle streams every 100 ms and sends
     * status messages every 200 ms, so 1.5 s is 7 to 15 missed signals, and the client's keepalive (every
     * peer-timeout/4) is missed six times. It is the larger half of a frozen worker's detection time (plus the
     * coordinator's suspect-timeout, 0.5 s), which elastic training wants under 3 s. The trade-off: a process that
     * does not run for longer than this (a long GC pause, a starved or throttled container) is declared lost and
     * rejoins as a new member. 1 s as the default once lost a 4-worker ring formation on the loaded 2-core test host
     * (a worker starting ND4J stalled past it); raise it where processes stall for seconds.
     */
    public static final Duration DEFAULT_PEER_TIMEOUT = Duration.ofMillis(1500);
    /**
     * Up to this many wire bytes an all-reduce goes directly to every peer (one hop) instead of round the ring.
     * Measured with 4 ranks on 2 cores: over IPC the direct path wins up to about 32 KiB. Over UDP, with ranks
     * entering together, the ring catches up from about 16 KiB, but in training, where ranks arrive one by one
     * after their backward pass, one hop after the last arrival beats 2(W-1) hops: 28 KiB buckets made steps
     * 5-20% faster direct. One frame carries a whole direct all-reduce, so the MTU bounds it too (see
     * {@link #takesDirectPath}, the one place the rule is written).
     */
    public static final int DEFAULT_SMALL_MESSAGE_THRESHOLD = 32 << 10;
    /** Longest timeout accepted: a day is already far past anything a collective or a ring should wait. */
    public static final Duration MAX_TIMEOUT = Duration.ofDays(1);
    /** The threshold setting that means "the default". */
    public static final int AUTO = -1;
    /** The prefix of the system properties that override the defaults, e.g. {@code -Dringtrain.aeron.mtu=8960}. */
    public static final String SYSTEM_PROPERTY_PREFIX = "ringtrain.aeron.";
    /** Every key {@link #apply} and the system properties know. */
    public static final List<String> SETTING_KEYS = List.of("term-length", "mtu", "socket-buffer", "small-message-threshold",
            "threading", "idle-strategy", "collective-timeout", "peer-timeout", "connect-timeout", "ranks-on-host",
            "shared-driver", "hierarchical");

    private static final AtomicInteger DIRECTORY_SEQUENCE = new AtomicInteger();

    private String endpoint = "127.0.0.1:0";
    private String aeronDirectoryName;
    private boolean embeddedDriver = true;
    private ThreadingMode driverThreading = ThreadingMode.INVOKER;
    private String idleStrategy = IdleStrategies.ADAPTIVE;
    private int mtuLength;
    private int termLength = DEFAULT_TERM_LENGTH;
    private int initialWindowLength;
    private int socketBufferLength = DEFAULT_SOCKET_BUFFER_LENGTH;
    private int smallMessageThreshold = AUTO;
    private int streamId = DEFAULT_STREAM_ID;
    private Duration collectiveTimeout = DEFAULT_COLLECTIVE_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration peerTimeout = DEFAULT_PEER_TIMEOUT;
    private boolean checkSharedMemory = true;
    private int ranksOnHost = 1;
    private boolean hierarchical = true;
    private String threadName = "ringtrain-dataplane";
    /** Tests only: a last word on the embedded driver's settings (Aeron's loss generators). */
    private java.util.function.Consumer<io.aeron.driver.MediaDriver.Context> driverHook = c -> { };

    private boolean concluded;
    private Endpoint parsedEndpoint;
    private Supplier<IdleStrategy> idleStrategySupplier;

    /** Where each setting read from a settings map came from, so that errors name the key the user wrote. */
    private final Map<String, String> keyNames = new HashMap<>();

    /**
     * Defaults, overridden by any {@code -Dringtrain.aeron.<key>} system properties.
     *
     * @throws DataPlaneException naming the property when one is unknown or has a bad value.
     */
    public DataPlaneContext() {
        Map<String, String> properties = new TreeMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(SYSTEM_PROPERTY_PREFIX)) {
                properties.put(name.substring(SYSTEM_PROPERTY_PREFIX.length()), System.getProperty(name));
            }
        }
        apply(properties, SYSTEM_PROPERTY_PREFIX);
    }

    /**
     * Applies settings given as {@code key -> value} ({@link #SETTING_KEYS}; values as strings, numbers or
     * booleans, e.g. a HOCON block's unwrapped values): sizes as bytes or {@code 4MiB}, {@code 4M}; durations as
     * milliseconds or {@code 10s}, {@code 500ms}, {@code 2 seconds}. Later errors about these settings name them
     * as {@code keyPrefix + key}.
     *
     * @throws DataPlaneException naming {@code keyPrefix + key} for an unknown key or a bad value.
     */
    public DataPlaneContext apply(Map<String, ?> settings, String keyPrefix) {
        checkNotConcluded();
        for (Map.Entry<String, ?> e : new TreeMap<>(settings).entrySet()) {
            String key = e.getKey();
            String name = keyPrefix + key;
            Object value = e.getValue();
            if (!SETTING_KEYS.contains(key)) {
                throw new DataPlaneException(name + " is not a data-plane setting: the settings are " + String.join(", ", SETTING_KEYS));
            }
            keyNames.put(key, name);
            switch (key) {
                case "term-length" -> termLength = Settings.bytes(name, value);
                case "mtu" -> mtuLength = Settings.bytes(name, value);
                case "socket-buffer" -> socketBufferLength = Settings.bytes(name, value);
                case "small-message-threshold" -> smallMessageThreshold = Settings.bytes(name, value);
                case "threading" -> driverThreading = Settings.threading(name, value);
                case "idle-strategy" -> idleStrategy = String.valueOf(value);
                case "collective-timeout" -> collectiveTimeout = Settings.duration(name, value);
                case "peer-timeout" -> peerTimeout = Settings.duration(name, value);
                case "connect-timeout" -> connectTimeout = Settings.duration(name, value);
                case "ranks-on-host" -> ranksOnHost = Settings.integer(name, value);
                case "shared-driver" -> {
                    String dir = String.valueOf(value).trim();
                    if (!dir.isEmpty()) {
                        sharedDriver(dir);
                    }
                }
                case "hierarchical" -> hierarchical = Settings.bool(name, value);
                default -> throw new IllegalStateException(key);
            }
        }
        return this;
    }

    /** How errors name a setting: the key it was read from, else its plain name. */
    String key(String name) {
        return keyNames.getOrDefault(name, name);
    }

    /**
     * Validates every setting and derives the rest (MTU by transport, window, directory name).
     *
     * @throws DataPlaneException naming the setting, its value and what is allowed.
     */
    public DataPlaneContext conclude() {
        if (concluded) {
            return this;
        }
        parsedEndpoint = Endpoint.parse(endpoint);
        if (!embeddedDriver && aeronDirectoryName == null) {
            throw new DataPlaneException("embeddedDriver(false) needs aeronDirectoryName: the directory of the running media driver to attach to");
        }
        requireThat(Integer.bitCount(termLength) == 1 && termLength >= MIN_TERM_LENGTH && termLength <= MAX_TERM_LENGTH,
                key("term-length") + " " + termLength + " must be a power of two between 64 KiB and 1 GiB");
        if (mtuLength == 0) {
            mtuLength = parsedEndpoint.isLocal() ? LOCAL_MTU_LENGTH : NETWORK_MTU_LENGTH;
            mtuLength = Math.min(mtuLength, termLength / 8);
        }
        requireThat(mtuLength >= 128 && mtuLength <= LOCAL_MTU_LENGTH && mtuLength % 32 == 0,
                key("mtu") + " " + mtuLength + " must be a multiple of 32 between 128 and " + LOCAL_MTU_LENGTH);
        requireThat(mtuLength <= termLength / 8,
                key("term-length") + " " + Sizes.format(termLength) + " allows frames of at most " + Sizes.format(termLength / 8)
                        + " (term-length/8) but mtu is " + Sizes.format(mtuLength)
                        + ": raise " + key("term-length") + " to at least " + Sizes.format(Integer.highestOneBit(mtuLength - 1) << 4)
                        + " or lower mtu");
        if (initialWindowLength == 0) {
            initialWindowLength = Math.min(termLength / 2, socketBufferLength);
        }
        requireThat(initialWindowLength >= mtuLength && initialWindowLength <= termLength / 2,
                "initial window " + initialWindowLength + " must be between the mtu (" + mtuLength + ") and term-length/2 ("
                        + termLength / 2 + ")");
        requireThat(socketBufferLength >= 64 << 10, key("socket-buffer") + " " + socketBufferLength + " must be at least 64 KiB");
        if (smallMessageThreshold == AUTO) {
            smallMessageThreshold = DEFAULT_SMALL_MESSAGE_THRESHOLD;
        }
        requireThat(smallMessageThreshold >= 0, key("small-message-threshold") + " " + smallMessageThreshold
                + " must be >= 0 (0 disables the direct path, -1 picks the default)");
        requireThat(ranksOnHost >= 1, key("ranks-on-host") + " " + ranksOnHost + " must be at least 1");
        requirePositive(collectiveTimeout, key("collective-timeout"));
        requirePositive(connectTimeout, key("connect-timeout"));
        requirePositive(peerTimeout, key("peer-timeout"));
        idleStrategy = idleStrategy == null ? "" : idleStrategy.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            idleStrategySupplier = IdleStrategies.parse(idleStrategy);
        } catch (DataPlaneException e) {
            throw new DataPlaneException(key("idle-strategy") + ": " + e.getMessage());
        }
        concluded = true;
        if (aeronDirectoryName == null) {
            // Sized for the smallest ring; join() checks again for the real one.
            aeronDirectoryName = DriverDirectories.defaultParent(SharedMemoryBudget.bytesPerRank(this, 2) * ranksOnHost)
                    + File.separator + DriverDirectories.PREFIX + ProcessHandle.current().pid() + "-"
                    + DIRECTORY_SEQUENCE.incrementAndGet();
        }
        return this;
    }

    private static void requireThat(boolean condition, String message) {
        if (!condition) {
            throw new DataPlaneException(message);
        }
    }

    private static void requirePositive(Duration d, String name) {
        requireThat(d != null && !d.isNegative() && !d.isZero(), name + " must be positive, got " + d);
        // Every timeout is used in nanoseconds, which hold 292 years; nothing here should wait a day.
        requireThat(d.compareTo(MAX_TIMEOUT) <= 0, name + " " + d + " is longer than " + MAX_TIMEOUT.toHours() + " hours");
    }

    private void checkNotConcluded() {
        if (concluded) {
            throw new IllegalStateException("DataPlaneContext is already concluded; settings can no longer change");
        }
    }

    // Settings --------------------------------------------------------------------------------------------------

    /** This rank's inbox: {@code host:port} for UDP (port 0 picks a free one), or {@code ipc:<stream>}. */
    public DataPlaneContext endpoint(String endpoint) {
        checkNotConcluded();
        this.endpoint = endpoint;
        return this;
    }

    public String endpoint() {
        return endpoint;
    }

    /**
     * Directory of the media driver's files; default a fresh one named after this process under /dev/shm, or under
     * the temp directory (disk-backed, slower, with a warning) when /dev/shm is too small for this configuration.
     */
    public DataPlaneContext aeronDirectoryName(String aeronDirectoryName) {
        checkNotConcluded();
        this.aeronDirectoryName = aeronDirectoryName;
        return this;
    }

    public String aeronDirectoryName() {
        return aeronDirectoryName;
    }

    /** True (default): start a media driver in this process. False: attach to one already running. */
    public DataPlaneContext embeddedDriver(boolean embeddedDriver) {
        checkNotConcluded();
        this.embeddedDriver = embeddedDriver;
        return this;
    }

    public boolean embeddedDriver() {
        return embeddedDriver;
    }

    /** Threading of the embedded driver: INVOKER runs it on the data-plane thread (fewest threads). */
    public DataPlaneContext driverThreading(ThreadingMode driverThreading) {
        checkNotConcluded();
        this.driverThreading = driverThreading;
        return this;
    }

    public ThreadingMode driverThreading() {
        return driverThreading;
    }

    /**
     * {@code adaptive} (default: yield while a collective runs, park when idle), {@code backoff}, {@code yielding},
     * {@code busy-spin} (dedicated cores only) or {@code sleeping}.
     */
    public DataPlaneContext idleStrategy(String idleStrategy) {
        checkNotConcluded();
        this.idleStrategy = idleStrategy;
        return this;
    }

    public String idleStrategy() {
        return idleStrategy;
    }

    /** Largest frame on the wire; 0 (default) means 65504 for loopback and IPC, 1408 for other networks. */
    public DataPlaneContext mtuLength(int mtuLength) {
        checkNotConcluded();
        this.mtuLength = mtuLength;
        return this;
    }

    public int mtuLength() {
        return mtuLength;
    }

    /** Term buffer length of ring publications: each costs 3 terms of shared memory at each end. */
    public DataPlaneContext termLength(int termLength) {
        checkNotConcluded();
        this.termLength = termLength;
        return this;
    }

    public int termLength() {
        return termLength;
    }

    /** UDP receiver window: how many bytes a sender may have in flight; default min(term/2, socket buffer). */
    public DataPlaneContext initialWindowLength(int initialWindowLength) {
        checkNotConcluded();
        this.initialWindowLength = initialWindowLength;
        return this;
    }

    public int initialWindowLength() {
        return initialWindowLength;
    }

    /** SO_RCVBUF and SO_SNDBUF for UDP sockets (the kernel may cap them at net.core.rmem_max/wmem_max). */
    public DataPlaneContext socketBufferLength(int socketBufferLength) {
        checkNotConcluded();
        this.socketBufferLength = socketBufferLength;
        return this;
    }

    public int socketBufferLength() {
        return socketBufferLength;
    }

    /**
     * All-reduces of at most this many wire bytes use the one-hop direct exchange; 0 disables it; -1 (default):
     * 32 KiB on both transports.
     */
    public DataPlaneContext smallMessageThreshold(int smallMessageThreshold) {
        checkNotConcluded();
        this.smallMessageThreshold = smallMessageThreshold;
        return this;
    }

    public int smallMessageThreshold() {
        return smallMessageThreshold;
    }

    /** Aeron stream id for UDP frames; every rank of a run must use the same one. */
    public DataPlaneContext streamId(int streamId) {
        checkNotConcluded();
        this.streamId = streamId;
        return this;
    }

    public int streamId() {
        return streamId;
    }

    /** A collective that makes no progress for this long fails with {@link CollectiveException.Timeout}. */
    public DataPlaneContext collectiveTimeout(Duration collectiveTimeout) {
        checkNotConcluded();
        this.collectiveTimeout = collectiveTimeout;
        return this;
    }

    public Duration collectiveTimeout() {
        return collectiveTimeout;
    }

    /** How long forming a ring may wait for every peer to connect and say hello. */
    public DataPlaneContext connectTimeout(Duration connectTimeout) {
        checkNotConcluded();
        this.connectTimeout = connectTimeout;
        return this;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Silence after which the driver declares a peer's publication disconnected or its image lost. */
    public DataPlaneContext peerTimeout(Duration peerTimeout) {
        checkNotConcluded();
        this.peerTimeout = peerTimeout;
        return this;
    }

    public Duration peerTimeout() {
        return peerTimeout;
    }

    /** Check free space in the driver directory's file system before starting (default true). */
    public DataPlaneContext checkSharedMemory(boolean checkSharedMemory) {
        checkNotConcluded();
        this.checkSharedMemory = checkSharedMemory;
        return this;
    }

    public boolean checkSharedMemory() {
        return checkSharedMemory;
    }

    /**
     * How many ranks share this host's /dev/shm (a launcher knows; default 1), so the shared-memory check
     * accounts for the neighbours too.
     */
    public DataPlaneContext ranksOnHost(int ranksOnHost) {
        checkNotConcluded();
        this.ranksOnHost = ranksOnHost;
        return this;
    }

    public int ranksOnHost() {
        return ranksOnHost;
    }

    /**
     * Attaches to the {@link SharedDriver} whose directory this is (the same as {@code embeddedDriver(false)} and
     * {@code aeronDirectoryName(directory)}): ranks on that driver exchange frames over IPC, other ranks over UDP.
     */
    public DataPlaneContext sharedDriver(String directory) {
        checkNotConcluded();
        this.embeddedDriver = false;
        this.aeronDirectoryName = directory;
        return this;
    }

    /**
     * True (default): when the ring spans at least two hosts with the same number (two or more) of ranks each,
     * all-reduce runs hierarchically (within hosts over IPC, across hosts over UDP). False: always the flat ring.
     * Every rank must use the same setting.
     */
    public DataPlaneContext hierarchical(boolean hierarchical) {
        checkNotConcluded();
        this.hierarchical = hierarchical;
        return this;
    }

    public boolean hierarchical() {
        return hierarchical;
    }

    public DataPlaneContext threadName(String threadName) {
        checkNotConcluded();
        this.threadName = threadName;
        return this;
    }

    public String threadName() {
        return threadName;
    }

    DataPlaneContext driverHook(java.util.function.Consumer<io.aeron.driver.MediaDriver.Context> hook) {
        checkNotConcluded();
        this.driverHook = hook;
        return this;
    }

    java.util.function.Consumer<io.aeron.driver.MediaDriver.Context> driverHook() {
        return driverHook;
    }

    // Derived (valid after conclude) --------------------------------------------------------------------------

    Endpoint parsedEndpoint() {
        return parsedEndpoint;
    }

    IdleStrategy newIdleStrategy() {
        return idleStrategySupplier.get();
    }

    /** MTU of the direct-exchange publications: one frame carries a whole small all-reduce. */
    int meshMtuLength() {
        int frame = smallMessageThreshold + FrameHeader.LENGTH + 32;
        return Math.min(mtuLength, (frame + 31) & ~31);
    }

    /** Term length of the direct-exchange publications: the smallest that carries their MTU. */
    int meshTermLength() {
        return Math.max(MIN_TERM_LENGTH, Integer.highestOneBit(meshMtuLength() * 8 - 1) << 1);
    }

    /** Largest all-reduce, in wire bytes, that takes the direct path. */
    int directPayloadLimit() {
        return Math.min(smallMessageThreshold, meshMtuLength() - 32 - FrameHeader.LENGTH);
    }

    /**
     * The one-hop rule, written once: with the threshold above 0, in a world small enough to track in a 64-bit
     * mask, an all-reduce of at most {@link #directPayloadLimit()} wire bytes goes straight to every peer.
     */
    boolean directPathEnabled(int worldSize) {
        return smallMessageThreshold > 0 && worldSize >= 2 && worldSize <= 64;
    }

    boolean takesDirectPath(int worldSize, long wireBytes) {
        return directPathEnabled(worldSize) && wireBytes <= directPayloadLimit();
    }

    /** Beyond two ranks the direct path needs its own small publications to every non-neighbour. */
    boolean usesMesh(int worldSize) {
        return directPathEnabled(worldSize) && worldSize > 2;
    }

    /** Largest payload (bytes after our header) of one frame: one Aeron fragment, never reassembled. */
    int maxPayloadLength() {
        return mtuLength - 32 - FrameHeader.LENGTH;
    }

    /** MTU of IPC publications: frames as large as Aeron allows, since shared memory has no datagram limit. */
    int ipcMtuLength() {
        return Math.min(LOCAL_MTU_LENGTH, termLength / 8);
    }

    int maxIpcPayloadLength() {
        return ipcMtuLength() - 32 - FrameHeader.LENGTH;
    }
}
