package io.ringtrain.allreduce;

import io.aeron.Aeron;
import io.aeron.AeronCounters;
import io.aeron.ExclusivePublication;
import io.aeron.exceptions.RegistrationException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.status.CountersReader;

/**
 * The data-plane thread's duty cycle: run the media driver (when it is invoked here), the Aeron client
 * conductor, commands from callers, the inbox, and the current ring. Every Aeron resource is touched on this
 * thread only, so none of it needs locks.
 */
final class DataPlaneAgent implements Agent {
    private static final int COMMAND_LIMIT = 16;
    private static final int SUBMISSION_CAPACITY = 4096;

    private final DataPlaneContext ctx;
    private final AgentInvoker driverInvoker;
    private final AgentInvoker clientInvoker;
    private final Aeron aeron;
    private final AutoCloseable driver;
    private final Inbox inbox;
    private final DropCounters drops;
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands = new ManyToOneConcurrentLinkedQueue<>();
    /** Collectives from callers: an array queue, so submitting one allocates no queue node. */
    private final ManyToOneConcurrentArrayQueue<CollectiveOp> submissions = new ManyToOneConcurrentArrayQueue<>(SUBMISSION_CAPACITY);
    private final List<long[]> draining = new ArrayList<>();

    private final ReentrantLock dutyCycle = new ReentrantLock();
    private volatile boolean closed;
    /** Written under the duty-cycle lock, read by idle strategies on any thread. */
    private volatile boolean latencyBound;
    private volatile boolean busy;
    private volatile Thread thread;
    /** Callers blocked in {@link #driveUntilDone}; while there are any, the data-plane thread sleeps. */
    private final AtomicInteger callersDriving = new AtomicInteger();
    /** The caller that entered {@link #driveUntilDone} last, woken with the thread when work is queued. */
    private volatile Thread drivingCaller;
    private final ThreadLocal<IdleStrategy> callerIdle;
    private RingState ring;
    private int highestGeneration = Integer.MIN_VALUE;
    private long nowNs;

    DataPlaneAgent(DataPlaneContext ctx, AgentInvoker driverInvoker, Aeron aeron, AutoCloseable driver, DropCounters drops,
                   ReceiveGate gate) {
        this.ctx = ctx;
        this.driverInvoker = driverInvoker;
        this.clientInvoker = aeron.conductorAgentInvoker();
        this.aeron = aeron;
        this.driver = driver;
        Endpoint own = ctx.parsedEndpoint();
        this.callerIdle = ThreadLocal.withInitial(() -> IdleStrategies.ADAPTIVE.equals(ctx.idleStrategy())
                ? new AdaptiveIdleStrategy(this::isBusy, IdleStrategies.BACKOFF_MAX_PARK_NS) : ctx.newIdleStrategy());
        this.drops = drops;
        this.inbox = new Inbox(aeron, own, ctx.streamId(), drops, gate);
    }

    /** The UDP addresses the inbox is bound to (port 0 resolved), empty without a UDP inbox. */
    List<String> udpAddresses() {
        return inbox.udpAddresses();
    }

    /** Frames from ranks on the shared driver arrive on this IPC stream; called once, before the thread starts. */
    void listenIpc(int stream) {
        inbox.listenIpc(stream);
    }

    /** Why images of the ring being formed were refused, for error messages. */
    String refusals() {
        return inbox.refusals();
    }

    /** Queues a command for this thread and wakes it, so a caller's collective never waits out a park. */
    void execute(Runnable command) {
        commands.offer(command);
        wake();
    }

    /** Queues a collective for the ring it was made for; falls back to a command when the queue is full. */
    void submit(CollectiveOp op) {
        if (!submissions.offer(op)) {
            commands.offer(() -> op.target.submit(op));
        }
        wake();
    }

    /** Wakes whichever thread runs the duty cycle now: a blocked caller if there is one, else the data-plane thread. */
    private void wake() {
        Thread t = callersDriving.get() > 0 ? drivingCaller : thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** True while a blocked caller runs the duty cycle: the data-plane thread then stays out of its way. */
    boolean callerIsDriving() {
        return callersDriving.get() > 0;
    }

    void wakeUp(Thread thread) {
        this.thread = thread;
    }

    /**
     * Runs one duty cycle unless another thread is running one; returns the work done, or -1 when it could not
     * take its turn (a blocked caller is driving, or the agent is closed).
     */
    int tryDoWork() {
        if (!dutyCycle.tryLock()) {
            return -1;
        }
        try {
            return closed ? -1 : doWork();
        } finally {
            dutyCycle.unlock();
        }
    }

    /**
     * Drives the duty cycle on the calling thread until {@code future} completes or the deadline passes. Yields
     * between idle cycles: the caller has nothing else to do, and other ranks on this host need the core.
     */
    void driveUntilDone(CompletableFuture<?> future, long deadlineNs) {
        if (future.isDone()) {
            return;
        }
        IdleStrategy idle = callerIdle.get();
        idle.reset();
        drivingCaller = Thread.currentThread();
        callersDriving.incrementAndGet();
        try {
            while (!future.isDone() && !closed && deadlineNs - System.nanoTime() > 0) {
                idle.idle(Math.max(0, tryDoWork()));
            }
        } finally {
            if (callersDriving.decrementAndGet() == 0) {
                Thread t = thread;
                if (t != null) {
                    LockSupport.unpark(t); // the data-plane thread takes over whatever is still running
                }
            }
        }
    }

    /**
     * True while something is about to happen that waits on single frames: a small collective, a ring formation,
     * a command. Large collectives are not: their pipelines are deep enough to ride out a park.
     */
    boolean isLatencyBound() {
        return !commands.isEmpty() || !submissions.isEmpty() || latencyBound;
    }

    /**
     * True while any collective is queued or running. A caller blocked on one has nothing else to do, so it yields
     * rather than parks whatever the size: parking cost each wait for a frame ~100 us (timer slack), which made a
     * 1 MiB all-reduce of 16 frames per step take 2.5 ms instead of 0.8 ms.
     */
    boolean isBusy() {
        return !commands.isEmpty() || !submissions.isEmpty() || busy;
    }

    @Override
    public String roleName() {
        return ctx.threadName();
    }

    @Override
    public int doWork() {
        nowNs = System.nanoTime();
        int work = 0;
        if (driverInvoker != null) {
            work += driverInvoker.invoke();
        }
        work += clientInvoker.invoke();
        Runnable command;
        for (int i = 0; i < COMMAND_LIMIT && (command = commands.poll()) != null; i++) {
            command.run();
            work++;
        }
        CollectiveOp op;
        while ((op = submissions.poll()) != null) {
            op.target.submit(op);
            work++;
        }
        work += inbox.poll(nowNs);
        if (ring != null) {
            work += ring.doWork(nowNs);
        }
        latencyBound = ring != null && ring.isLatencyBound();
        busy = ring != null && ring.hasWork();
        return work;
    }

    /** Runs on this thread: replaces the current ring with a new generation and starts forming it. */
    void join(int generation, int rank, Endpoint[] endpoints, RunToken token, InetAddress[][] sources,
              CompletableFuture<RingState> result) {
        if (generation <= highestGeneration) {
            result.completeExceptionally(new DataPlaneException("ring generation " + generation
                    + " is not newer than generation " + highestGeneration + " already joined: generations must increase"));
            return;
        }
        if (ring != null) {
            closeRing("replaced by generation " + generation);
        }
        highestGeneration = generation;
        int worldSize = endpoints.length;
        Topology topology = new Topology(endpoints, rank, ctx.hierarchical());
        ExclusivePublication[] publications = new ExclusivePublication[worldSize];
        boolean mesh = ctx.usesMesh(worldSize);
        try {
            for (int peer = 0; peer < worldSize; peer++) {
                boolean ringLink = topology.ringLink(rank, peer);
                if (peer == rank || (!ringLink && !mesh)) {
                    continue;
                }
                boolean ipc = topology.viaIpc(rank, peer);
                int mtu = ringLink ? (ipc ? ctx.ipcMtuLength() : ctx.mtuLength()) : ctx.meshMtuLength();
                int term = ringLink ? ctx.termLength() : ctx.meshTermLength();
                int session = token.sessionId(rank);
                String channel = ipc ? Endpoint.ipcChannel(mtu, term, session) : endpoints[peer].udpChannel(mtu, term, session);
                publications[peer] = aeron.addExclusivePublication(channel, ipc ? endpoints[peer].ipcStream() : ctx.streamId());
            }
        } catch (RegistrationException e) {
            for (ExclusivePublication p : publications) {
                if (p != null) {
                    p.close();
                }
            }
            result.completeExceptionally(new DataPlaneException("rank " + rank + " cannot publish to its peers in ring"
                    + " generation " + generation + ": " + e.getMessage() + ". Check the endpoints (host names must resolve).", e));
            return;
        }
        RingState joined = new RingState(ctx, generation, rank, endpoints, token, topology, publications, System.nanoTime());
        try {
            inbox.open(joined, sources);
        } catch (RegistrationException e) {
            joined.close("its inbox could not subscribe");
            inbox.close();
            result.completeExceptionally(new DataPlaneException("rank " + rank + " cannot receive ring generation " + generation
                    + ": " + e.getMessage(), e));
            return;
        }
        ring = joined;
        joined.formation.joined.whenComplete((ok, error) -> {
            if (error == null) {
                result.complete(joined);
            } else {
                if (ring == joined) {
                    error = explainRefusals(error);
                    closeRing("forming failed");
                }
                result.completeExceptionally(error);
            }
        });
    }

    /** A ring that did not form may have been refused by the fence: say so, it is usually the reason. */
    private Throwable explainRefusals(Throwable error) {
        String refusals = inbox.refusals();
        String dropped = DropCounters.describe(drops.snapshot());
        if (!(error instanceof DataPlaneException) || refusals.isEmpty() && "nothing".equals(dropped)) {
            return error;
        }
        return new DataPlaneException(error.getMessage() + (refusals.isEmpty() ? "" : " Images refused: " + refusals + ".")
                + " Dropped so far on this rank: " + dropped + " (senders need this generation's run token and must send"
                + " from their endpoint's address).", error.getCause());
    }

    long systemCounter(String label) {
        long[] value = {-1};
        CountersReader counters = aeron.countersReader();
        counters.forEach((counterId, typeId, key, l) -> {
            if (typeId == AeronCounters.DRIVER_SYSTEM_COUNTER_TYPE_ID && l.equals(label)) {
                value[0] = counters.getCounterValue(counterId);
            }
        });
        return value[0];
    }

    /** Non-zero driver system counters about loss, retransmission, flow control and errors. */
    String systemCounters() {
        StringBuilder sb = new StringBuilder();
        CountersReader counters = aeron.countersReader();
        counters.forEach((counterId, typeId, key, label) -> {
            long value = counters.getCounterValue(counterId);
            if (typeId == AeronCounters.DRIVER_SYSTEM_COUNTER_TYPE_ID && value != 0 && label.matches(
                    "(?i).*(nak|retransmit|loss|short send|flow control|back pressure|error|invalid|unblocked|stale).*")) {
                sb.append(sb.length() == 0 ? "" : ", ").append(label).append('=').append(value);
            }
        });
        return sb.length() == 0 ? "none" : sb.toString();
    }

    /**
     * Runs on this thread: ends the current ring. Publications keep sending what was already written; over UDP
     * the driver (invoked on this thread) must run until it has, or peers lose the last frames of a run.
     */
    void closeRing(String reason) {
        if (ring == null) {
            return;
        }
        CountersReader counters = aeron.countersReader();
        for (ExclusivePublication p : ring.publications()) {
            // A peer that is gone will never take the rest; waiting for it would only delay closing.
            if (p != null && !p.isClosed() && p.isConnected() && !p.channel().startsWith("aeron:ipc")) {
                int senderPosition = senderPositionCounter(counters, p.registrationId());
                if (senderPosition >= 0) {
                    draining.add(new long[] {senderPosition, p.registrationId(), p.position()});
                }
            }
        }
        ring.close(reason);
        ring = null;
        inbox.close();
    }

    private static int senderPositionCounter(CountersReader counters, long registrationId) {
        int[] found = {-1};
        counters.forEach((counterId, typeId, key, label) -> {
            if (typeId == AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID
                    && counters.getCounterRegistrationId(counterId) == registrationId) {
                found[0] = counterId;
            }
        });
        return found[0];
    }

    void closeRing(RingState which, String reason) {
        if (ring == which) {
            closeRing(reason);
        }
    }

    /** True once the driver has put every byte written to a closed publication on the wire. */
    boolean publicationsDrained() {
        CountersReader counters = aeron.countersReader();
        draining.removeIf(entry -> counters.getCounterState((int) entry[0]) != CountersReader.RECORD_ALLOCATED
                || counters.getCounterRegistrationId((int) entry[0]) != entry[1]
                || counters.getCounterValue((int) entry[0]) >= entry[2]);
        return draining.isEmpty();
    }

    /** Releases every Aeron resource; runs once, under the duty-cycle lock so no caller is mid-cycle. */
    void close() {
        dutyCycle.lock();
        try {
            if (!closed) {
                closed = true;
                onClose();
            }
        } finally {
            dutyCycle.unlock();
        }
    }

    @Override
    public void onClose() {
        if (ring != null) {
            closeRing("data plane closed");
        }
        inbox.shutdown();
        aeron.close();
        if (driver != null) {
            try {
                driver.close();
            } catch (Exception e) {
                // Closing is best effort; the directory is removed by DataPlane.close() regardless.
            }
        }
    }
}
