package io.ringtrain.allreduce;

import java.util.concurrent.locks.LockSupport;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.IdleStrategy;

/**
 * The data-plane thread: runs the agent's duty cycle whenever no blocked caller is running it (see
 * {@link CollectiveFuture}), and idles by its strategy otherwise.
 */
final class DataPlaneThread implements Runnable {
    /**
     * Bound on one sleep while a blocked caller drives the duty cycle. The caller wakes this thread when it stops
     * driving, so this only limits how long a lost wake-up could cost; short parks here were measured to cost a
     * wake-up every 50 us per rank on a host with more ranks than cores, for nothing.
     */
    private static final long STAND_ASIDE_NS = 10_000_000;
    /** Bound on waiting for a caller that holds the duty cycle for one cycle (not blocked on a future). */
    private static final long TURN_NS = 20_000;

    private final DataPlaneAgent agent;
    private final IdleStrategy idle;
    private final ErrorHandler errors;
    private final Thread thread;
    private volatile boolean running = true;

    DataPlaneThread(DataPlaneAgent agent, IdleStrategy idle, ErrorHandler errors, String name) {
        this.agent = agent;
        this.idle = idle;
        this.errors = errors;
        this.thread = new Thread(this, name);
        this.thread.setDaemon(true);
    }

    Thread start() {
        thread.start();
        return thread;
    }

    @Override
    public void run() {
        try {
            while (running) {
                if (agent.callerIsDriving()) {
                    LockSupport.parkNanos(this, STAND_ASIDE_NS);
                    continue;
                }
                int work;
                try {
                    work = agent.tryDoWork();
                } catch (Throwable t) {
                    errors.onError(t);
                    work = 0;
                }
                if (work < 0) {
                    LockSupport.parkNanos(this, TURN_NS);
                } else {
                    idle.idle(work);
                }
            }
        } finally {
            agent.close();
        }
    }

    /** Stops the loop and waits (bounded) for the agent to release its resources. */
    void stop(long timeoutMs) {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
