package io.ringtrain.worker;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.MDC;

/**
 * The one thread a {@link TrainingSession} lives on. Steps block (all-reduce, storage), so they
 * must never run on the actor's dispatcher; results come back to the actor as messages. The
 * session object itself never leaves this thread, so the actor cannot call it from the wrong one,
 * and a close submitted while an open is still running closes what that open produced.
 */
final class SessionThread {

    /** Work on the session; runs on the session thread. */
    @FunctionalInterface
    interface SessionCall<T> {
        T apply(TrainingSession session) throws Exception;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run() throws Exception;
    }

    private final ExecutorService executor;
    private TrainingSession session; // confined to the session thread
    /** The open session, for {@link #abort} only: the one call that must not wait behind the others. */
    private volatile TrainingSession aborting;

    SessionThread(String workerName) {
        // Daemon: a step stuck past every timeout must not keep the JVM alive after the worker gave up.
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ringtrain-session-" + workerName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens the session; completes with its data-plane endpoint. */
    CompletionStage<String> open(Map<String, String> mdc, TrainingSessionFactory factory, RunSettings run, WorkerContext worker) {
        return submit(mdc, () -> {
            if (session != null) {
                throw new IllegalStateException("the training session is already open");
            }
            session = factory.open(run, worker);
            aborting = session;
            return session.dataPlaneEndpoint();
        });
    }

    /** Runs {@code work} on the open session, after everything submitted before it. */
    <T> CompletionStage<T> call(Map<String, String> mdc, SessionCall<T> work) {
        return submit(mdc, () -> {
            if (session == null) {
                throw new IllegalStateException("no training session is open");
            }
            return work.apply(session);
        });
    }

    /**
     * Makes whatever runs on ring {@code generation} fail now ({@link TrainingSession#abort}); called from the
     * actor's thread while the session thread may be blocked in a collective. Does nothing before the session opened.
     */
    void abort(long generation, String reason) {
        TrainingSession s = aborting;
        if (s != null) {
            s.abort(generation, reason);
        }
    }

    /** Closes the session if one was opened, then lets the thread end. */
    CompletionStage<Void> close(Map<String, String> mdc) {
        CompletionStage<Void> closed = submit(mdc, () -> {
            if (session != null) {
                TrainingSession s = session;
                session = null;
                aborting = null;
                s.close();
            }
            return null;
        });
        executor.shutdown();
        return closed;
    }

    private <T> CompletionStage<T> submit(Map<String, String> mdc, Work<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                MDC.setContextMap(mdc);
                try {
                    result.complete(work.run());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                } finally {
                    MDC.clear();
                }
            });
        } catch (RuntimeException rejected) {
            result.completeExceptionally(new IllegalStateException("the session thread has already shut down", rejected));
        }
        return result;
    }
}
