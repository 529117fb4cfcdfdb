package io.ringtrain.coordinator.local;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A JVM that {@code ringtrain local} started (a worker or a coordinator): its exit, and how it is stopped. */
abstract class LaunchedProcess {

    private final String name;
    private final Process process;
    private volatile boolean stopRequested;

    LaunchedProcess(String name, Process process) {
        this.name = name;
        this.process = process;
    }

    final String name() {
        return name;
    }

    final CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    final boolean isAlive() {
        return process.isAlive();
    }

    /** The exit status, or -1 while running. */
    final int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** Whether this launcher asked it to stop (so its exit is no loss). */
    final boolean stopRequested() {
        return stopRequested;
    }

    final long pid() {
        return process.pid();
    }

    /** "its process exited with status 137 (SIGKILL)", as the coordinator and the console say it. */
    final String describeExit() {
        return LocalRun.describeExit(exitCode());
    }

    /** Asks it to stop (SIGTERM: it leaves the cluster and closes what it opened), then forces it after {@code grace}. */
    final void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        stopRequested = true;
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
