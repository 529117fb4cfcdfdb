package io.ringtrain.coordinator.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The worker JVMs of one local run, replacements included. */
final class WorkerProcesses {

    private final List<WorkerProcess> workers = new ArrayList<>();

    synchronized void add(WorkerProcess worker) {
        workers.add(worker);
    }

    /** Workers still running. */
    synchronized int alive() {
        return (int) workers.stream().filter(WorkerProcess::isAlive).count();
    }

    /** Waits until every worker has exited, at most {@code timeout}; true if they all did. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (WorkerProcess w : snapshot()) {
            try {
                w.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                return false;
            }
        }
        return true;
    }

    /** Stops every worker still running, in parallel, each bounded by {@code grace} plus a forced kill. */
    void stopAll(Duration grace) {
        List<Thread> stoppers = new ArrayList<>();
        for (WorkerProcess w : snapshot()) {
            if (w.isAlive()) {
                Thread t = new Thread(() -> w.stop(grace), "stop-" + w.name());
                t.start();
                stoppers.add(t);
            }
        }
        for (Thread t : stoppers) {
            try {
                t.join(grace.toMillis() + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    synchronized List<WorkerProcess> snapshot() {
        List<WorkerProcess> copy = new ArrayList<>(workers);
        copy.sort(Comparator.comparing(WorkerProcess::name));
        return copy;
    }
}
