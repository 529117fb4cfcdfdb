package io.ringtrain.allreduce;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.exceptions.RegistrationException;
import java.io.File;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.IdleStrategy;

/**
 * A rank's data plane: its media driver (embedded by default), its inbox on its own endpoint, and the thread
 * that runs both and every collective. Long-lived: it outlives ring generations, each of which is a
 * {@link Communicator} obtained from {@link #join}.
 *
 * <pre>{@code
 * try (DataPlane plane = DataPlane.launch(new DataPlaneContext().endpoint("10.0.0.7:40100"))) {
 *     Communicator ring = plane.join(1, rank, endpointsByRank, tokenFromTheCoordinator);
 *     ring.allReduce(gradients, 0, count, DataType.FLOAT32, ReduceOp.SUM).join();
 * }
 * }</pre>
 */
public final class DataPlane implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DataPlane.class.getName());
    private static final long CLOSE_DRAIN_TIMEOUT_MS = 2_000;

    private final DataPlaneContext ctx;
    private final DataPlaneAgent agent;
    private final DataPlaneThread runner;
    private final Endpoint endpoint;
    private final boolean ownsDirectory;
    private final Thread removeDirectoryAtExit;
    private final ClientLoss clientLoss;
    private final DropCounters drops;
    private volatile boolean closed;

    private DataPlane(DataPlaneContext ctx, DataPlaneAgent agent, DataPlaneThread runner, Endpoint endpoint, boolean ownsDirectory,
                      ClientLoss clientLoss, DropCounters drops) {
        this.ctx = ctx;
        this.drops = drops;
        this.clientLoss = clientLoss;
        this.agent = agent;
        this.runner = runner;
        this.endpoint = endpoint;
        this.ownsDirectory = ownsDirectory;
        // If the JVM exits without close() (System.exit from elsewhere, a shutdown that runs out of time), the
        // driver's files would stay in /dev/shm until the next start sweeps them: remove them on the way out.
        this.removeDirectoryAtExit = new Thread(() -> {
            if (ownsDirectory) {
                DriverDirectories.deleteRecursively(Path.of(ctx.aeronDirectoryName()));
            }
        }, "ringtrain-dataplane-exit");
        Runtime.getRuntime().addShutdownHook(removeDirectoryAtExit);
    }

    /**
     * Starts the media driver (unless attaching to a running one), binds the inbox and starts the data-plane thread.
     *
     * @throws DataPlaneException when the configuration is invalid, the port is in use, shared memory is short,
     *                            or the external driver cannot be reached; the message says what to fix.
     */
    public static DataPlane launch(DataPlaneContext ctx) {
        ctx.conclude();
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new DataPlaneException("the data plane sends elements in native byte order and needs a little-endian CPU");
        }
        ClientLoss errors = new ClientLoss(e -> LOG.log(System.Logger.Level.WARNING, "Aeron: " + e.getMessage(), e), ctx.peerTimeout());
        MediaDriver driver = null;
        Aeron aeron = null;
        DropCounters drops = new DropCounters();
        ReceiveGate gate = ctx.embeddedDriver() ? new ReceiveGate(drops) : null;
        try {
            if (ctx.embeddedDriver()) {
                File dir = new File(ctx.aeronDirectoryName()).getAbsoluteFile();
                if (dir.getParentFile() != null) {
                    DriverDirectories.deleteOrphans(dir.getParentFile());
                }
                if (ctx.checkSharedMemory()) {
                    SharedMemoryBudget.check(ctx, 2, ctx.ranksOnHost());
                }
                MediaDriver.Context driverCtx = DriverSettings.embedded(ctx, errors)
                        .receiveChannelEndpointSupplier(gate.endpointSupplier());
                ctx.driverHook().accept(driverCtx);
                driver = MediaDriver.launch(driverCtx);
            }
            Aeron.Context clientContext = new Aeron.Context()
                    .aeronDirectoryName(ctx.aeronDirectoryName())
                    .useConductorAgentInvoker(true)
                    .errorHandler(errors)
                    .driverTimeoutMs(Math.max(1_000, ctx.peerTimeout().toMillis() * 2))
                    // A shared driver reaps a client that is silent for the peer timeout: keep well inside it.
                    .keepAliveIntervalNs(Math.min(TimeUnit.MILLISECONDS.toNanos(500), ctx.peerTimeout().toNanos() / 4));
            AgentInvoker driverInvoker = driver != null && ctx.driverThreading() == ThreadingMode.INVOKER
                    ? driver.sharedAgentInvoker() : null;
            if (driverInvoker != null) {
                clientContext.driverAgentInvoker(driverInvoker);
            }
            aeron = Aeron.connect(clientContext);
            errors.watch(aeron);
            DataPlaneAgent agent = new DataPlaneAgent(ctx, driverInvoker, aeron, driver, drops, gate);
            Endpoint endpoint = resolveEndpoint(ctx.parsedEndpoint(), agent.udpAddresses());
            if (!ctx.embeddedDriver()) {
                // On a shared driver: listen on IPC too, on the stream given or (unique per host) the UDP port.
                Endpoint configured = ctx.parsedEndpoint();
                int stream = configured.hasIpc() ? configured.ipcStream() : endpoint.port();
                endpoint = endpoint.withIpc(stream, SharedDriver.hostIdOf(ctx.aeronDirectoryName(), configured.hostId()));
                agent.listenIpc(stream);
            }
            IdleStrategy idle = IdleStrategies.ADAPTIVE.equals(ctx.idleStrategy())
                    ? new AdaptiveIdleStrategy(agent::isLatencyBound, IdleStrategies.BACKOFF_MAX_PARK_NS) : ctx.newIdleStrategy();
            DataPlaneThread runner = new DataPlaneThread(agent, idle, errors, ctx.threadName());
            agent.wakeUp(runner.start());
            return new DataPlane(ctx, agent, runner, endpoint, ctx.embeddedDriver(), errors, drops);
        } catch (RuntimeException e) {
            closeQuietly(aeron);
            closeQuietly(driver);
            if (ctx.embeddedDriver()) {
                DriverDirectories.deleteRecursively(Path.of(ctx.aeronDirectoryName()));
            }
            throw translate(ctx, e);
        }
    }

    private static Endpoint resolveEndpoint(Endpoint configured, List<String> bound) {
        if (!configured.hasUdp() || configured.port() != 0 || bound.isEmpty()) {
            return configured;
        }
        String address = bound.get(0);
        return configured.withPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
    }

    private static DataPlaneException translate(DataPlaneContext ctx, RuntimeException e) {
        if (e instanceof DataPlaneException d) {
            return d;
        }
        String message = String.valueOf(e.getMessage());
        Endpoint own = ctx.parsedEndpoint();
        if (e instanceof RegistrationException && message.contains("in use")) {
            return new DataPlaneException("UDP port " + own.port() + " on " + own.host() + " is already in use (another"
                    + " ringtrain rank or another program is bound to it): choose another data-plane port, or 0 to pick"
                    + " a free one", e);
        }
        if (e instanceof RegistrationException) {
            return new DataPlaneException("cannot listen on data-plane endpoint " + own + ": " + message
                    + ". Use an address of this host (or 0.0.0.0) and a free port.", e);
        }
        if (!ctx.embeddedDriver()) {
            return new DataPlaneException("cannot attach to the media driver in " + ctx.aeronDirectoryName() + ": " + message
                    + ". Is it running?", e);
        }
        return new DataPlaneException("the data plane failed to start: " + message, e);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // Already failing; the original error is the one to report.
            }
        }
    }

    /**
     * Why this data plane can no longer form rings or run collectives, if it cannot: its Aeron client closed itself
     * (the process stalled for longer than the peer timeout, or the media driver went away). Its peers count it as
     * lost by then; the way back is a new process that joins as a new member.
     */
    public Optional<String> lostBecause() {
        return clientLoss.lostBecause();
    }

    /** The endpoint peers send to, with the port resolved when 0 was configured. */
    public String endpoint() {
        return endpoint.toString();
    }

    public DataPlaneContext context() {
        return ctx;
    }

    /**
     * The media driver's system counters that reveal trouble on the wire (loss, retransmits, back-pressure,
     * errors), as "label=value" for those that are not zero. For diagnostics and benchmark logs.
     */
    public String driverCounters() {
        CompletableFuture<String> result = new CompletableFuture<>();
        agent.execute(() -> result.complete(agent.systemCounters()));
        return await(result, 5_000, "reading counters");
    }

    /** A driver system counter by its label (e.g. "Bytes sent", "NAKs sent"), for tests and diagnostics. */
    long systemCounter(String label) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        agent.execute(() -> result.complete(agent.systemCounter(label)));
        return await(result, 5_000, "reading counters");
    }

    /**
     * What this rank's data plane refused since it started, by reason (every reason, zeros included): packets the
     * media driver dropped for unexpected sessions or sources, images rejected, and frames that failed their checks.
     * Any thread; for tests, logs and metrics.
     */
    public Map<DropReason, Long> dropped() {
        return drops.snapshot();
    }

    /**
     * Forms ring generation {@code generation} as {@code rank} of {@code endpointsByRank.size()} and returns its
     * communicator once every peer is connected and has said hello. Any previous generation is closed first.
     * Blocks for at most the connect timeout.
     *
     * <p>Only the ring gets in: frames are accepted only on the sessions derived from {@code token}, only from each
     * peer's endpoint address, and only carrying {@code token}; everything else is dropped and counted
     * ({@link #dropped()}). Every rank of the generation must be given the same token, and no one else.
     *
     * @param token this generation's secret, made by the coordinator ({@link RunToken#random()})
     * @throws DataPlaneException when the ring cannot form in time or the ranks disagree; the message names the
     *                            peers that could not be reached.
     */
    public Communicator join(int generation, int rank, List<String> endpointsByRank, RunToken token) {
        if (token == null) {
            throw new DataPlaneException("joining ring generation " + generation + " needs the generation's run token");
        }
        ensureOpen();
        lostBecause().ifPresent(why -> {
            throw new DataPlaneException("cannot form ring generation " + generation + ": " + why);
        });
        int worldSize = endpointsByRank.size();
        if (worldSize < 1) {
            throw new DataPlaneException("a ring needs at least one rank; got an empty endpoint list");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new DataPlaneException("rank " + rank + " is outside a world of " + worldSize + " ranks (0.."
                    + (worldSize - 1) + ")");
        }
        Endpoint[] endpoints = new Endpoint[worldSize];
        for (int r = 0; r < worldSize; r++) {
            endpoints[r] = Endpoint.parse(endpointsByRank.get(r));
            if (r != rank && !endpoint.sharesDriverWith(endpoints[r]) && !(endpoint.hasUdp() && endpoints[r].hasUdp())) {
                throw new DataPlaneException("rank " + r + " at " + endpoints[r] + " cannot be reached from rank " + rank + " at "
                        + endpoint + ": they are not on one shared driver (same host id) and " + (endpoint.hasUdp()
                        ? "it has" : "this rank has") + " no UDP endpoint. Give every rank host:port (UDP), or attach all"
                        + " of them to one shared driver");
            }
        }
        if (!endpoints[rank].equals(endpoint)) {
            throw new DataPlaneException("rank " + rank + " is listed at " + endpoints[rank] + " but this data plane listens on "
                    + endpoint + ": the endpoint list must give each rank's own endpoint");
        }
        if (ctx.checkSharedMemory()) {
            SharedMemoryBudget.check(ctx, worldSize, ctx.ranksOnHost());
        }
        InetAddress[][] sources = PeerAddresses.resolve(endpoints, rank, endpoint);
        CompletableFuture<RingState> formed = new CompletableFuture<>();
        agent.execute(() -> agent.join(generation, rank, endpoints, token, sources, formed));
        RingState ring = await(formed, ctx.connectTimeout().toMillis() + 5_000, "forming ring generation " + generation);
        return new Communicator(this, agent, ring);
    }

    private <T> T await(CompletableFuture<T> future, long timeoutMs, String what) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new DataPlaneException(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new DataPlaneException(what + " did not finish within " + timeoutMs + " ms: " + lostBecause()
                    .orElse("the data-plane thread is stuck"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataPlaneException(what + " was interrupted", e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new DataPlaneException("the data plane is closed");
        }
    }

    /**
     * Closes the current ring, waits (bounded) until what was already sent has left this process, then stops the
     * thread and the driver and removes the driver directory.
     *
     * <p>Leaving is not a collective: a rank does not learn here whether its peers received its last frames. Over a
     * lossy link a frame that left may be dropped and need sending again, which a closed process cannot do, so a
     * slower peer still in its last collective would fail with {@link CollectiveException.PeerLost}. Close only once
     * every rank is known to be done, through the control plane (a ringtrain worker waits for the coordinator's
     * EndRun); a barrier just before closing does not help, as its own last frame can be the one lost.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CompletableFuture<Void> drained = new CompletableFuture<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_DRAIN_TIMEOUT_MS);
        agent.execute(() -> agent.closeRing("data plane closed"));
        agent.execute(new Runnable() {
            @Override
            public void run() {
                if (agent.publicationsDrained() || System.nanoTime() - deadline > 0) {
                    drained.complete(null);
                } else {
                    agent.execute(this);
                }
            }
        });
        try {
            drained.get(CLOSE_DRAIN_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "data plane did not drain before closing: " + e);
        }
        runner.stop(CLOSE_DRAIN_TIMEOUT_MS);
        if (ownsDirectory) {
            DriverDirectories.deleteRecursively(Path.of(ctx.aeronDirectoryName()));
        }
        try {
            Runtime.getRuntime().removeShutdownHook(removeDirectoryAtExit);
        } catch (IllegalStateException exiting) {
            // Closing from a shutdown hook: the exit hook runs too and finds the directory gone.
        }
    }
}
