package io.ringtrain.allreduce;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The future of one collective. A caller that blocks on it ({@link #join()}, {@link #get()}) runs the
 * data-plane duty cycle itself while it waits, as an MPI rank progresses inside MPI_Wait: the frames it is
 * waiting for are handled on the thread that wants them, with no hand-off to the data-plane thread and back.
 * On a host with more ranks than cores that hand-off is what costs, since every wake-up waits for a core.
 * Callers that never block keep full overlap: the data-plane thread drives everything when nobody waits.
 */
final class CollectiveFuture extends CompletableFuture<Void> {
    private final DataPlaneAgent agent;

    CollectiveFuture(DataPlaneAgent agent) {
        this.agent = agent;
    }

    @Override
    public Void get() throws InterruptedException, ExecutionException {
        agent.driveUntilDone(this, Long.MAX_VALUE);
        return super.get();
    }

    @Override
    public Void get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        agent.driveUntilDone(this, deadline);
        return super.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public Void join() {
        agent.driveUntilDone(this, Long.MAX_VALUE);
        return super.join();
    }

    /** Dependent stages are plain futures: only the collective's own future drives progress. */
    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
