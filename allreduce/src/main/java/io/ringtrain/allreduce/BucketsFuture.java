package io.ringtrain.allreduce;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Completes when every bucket's all-reduce has. A caller blocking on it waits on the buckets one by one in
 * submission order, so it drives the data plane itself as {@link CollectiveFuture} does ({@code allOf} would
 * leave all the work to the data-plane thread). On failure it carries the root cause: the first collective that
 * failed for a reason of its own (timeout, lost peer, mismatch) rather than the later ones that were merely
 * cancelled because of it.
 */
final class BucketsFuture extends CompletableFuture<Void> {
    private final CompletableFuture<?>[] parts;
    private final Throwable[] failures;
    private final AtomicInteger remaining;

    BucketsFuture(CompletableFuture<?>[] parts) {
        this.parts = parts;
        this.failures = new Throwable[parts.length];
        this.remaining = new AtomicInteger(parts.length);
        if (parts.length == 0) {
            complete(null);
        }
        for (int i = 0; i < parts.length; i++) {
            int index = i;
            parts[i].whenComplete((ok, error) -> {
                failures[index] = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                if (remaining.decrementAndGet() == 0) { // the atomic hand-off publishes every slot written before it
                    settle();
                }
            });
        }
    }

    private void settle() {
        Throwable failure = null;
        for (Throwable cause : failures) {
            if (cause != null && (failure == null
                    || (failure instanceof CollectiveException.Closed && !(cause instanceof CollectiveException.Closed)))) {
                failure = cause;
            }
        }
        if (failure == null) {
            complete(null);
        } else {
            completeExceptionally(failure);
        }
    }

    @Override
    public Void join() {
        for (CompletableFuture<?> part : parts) {
            try {
                part.join();
            } catch (RuntimeException failedOrCancelled) {
                // Reported below through this future's own outcome, root cause first.
            }
        }
        return super.join();
    }

    @Override
    public Void get() throws InterruptedException, ExecutionException {
        for (CompletableFuture<?> part : parts) {
            try {
                part.get();
            } catch (ExecutionException | RuntimeException failedOrCancelled) {
                // Reported below.
            }
        }
        return super.get();
    }

    @Override
    public Void get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (CompletableFuture<?> part : parts) {
            try {
                part.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | RuntimeException failedOrCancelled) {
                // Reported below.
            }
        }
        return super.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
