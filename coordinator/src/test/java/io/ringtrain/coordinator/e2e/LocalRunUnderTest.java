package io.ringtrain.coordinator.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A `ringtrain local` process that a test watches and injects faults into: it reads the launcher's console output,
 * waits (bounded) for lines and steps, and sends real signals to the worker JVMs it started, found by name.
 */
final class LocalRunUnderTest implements AutoCloseable {
    private static final Pattern STEP = Pattern.compile("^step +(\\d+)/\\d+", Pattern.MULTILINE);

    final RingtrainProcess launcher;

    LocalRunUnderTest(RingtrainProcess launcher) {
        this.launcher = launcher;
    }

    String output() throws IOException {
        return launcher.output();
    }

    /** The worker JVM running under {@code name} now (a replacement has the same name and a new pid). */
    ProcessHandle worker(String name) {
        return launcher.started("worker").stream()
                .filter(p -> RingtrainProcess.arguments(p).contains(name))
                .findFirst().orElseThrow(() -> new AssertionError("no live worker process named " + name));
    }

    /** Sends {@code signal} (KILL, TERM, STOP, CONT) to a process, as `kill -SIGNAL pid` does. */
    static void signal(ProcessHandle process, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** Waits until the output contains {@code text} {@code times} times; fails with the output after {@code timeout}. */
    void awaitOutput(String text, int times, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count(output(), text) < times) {
            if (!launcher.process.isAlive()) {
                throw new AssertionError("the run ended before printing '" + text + "' " + times + " time(s):\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' (" + times + " time(s)) within " + timeout + ":\n" + output());
            }
            launcher.process.waitFor(100, TimeUnit.MILLISECONDS);
        }
    }

    /** Waits until the progress lines report at least {@code step} steps done. */
    void awaitStep(long step, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lastStep().orElse(-1L) < step) {
            if (!launcher.process.isAlive()) {
                throw new AssertionError("the run ended before step " + step + ":\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not at step " + step + " within " + timeout + ":\n" + output());
            }
            launcher.process.waitFor(100, TimeUnit.MILLISECONDS);
        }
    }

    /** The step of the first progress line printed after the last {@code text} (waits for one, bounded). */
    long firstStepAfter(String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String out = Files.readString(launcher.out);
            int at = out.lastIndexOf(text);
            Matcher m = STEP.matcher(out);
            if (at >= 0 && m.find(at)) {
                return Long.parseLong(m.group(1));
            }
            if (!launcher.process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("no progress line after '" + text + "' within " + timeout + ":\n" + output());
            }
            launcher.process.waitFor(100, TimeUnit.MILLISECONDS);
        }
    }

    Optional<Long> lastStep() throws IOException {
        Matcher m = STEP.matcher(Files.readString(launcher.out));
        Long last = null;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return Optional.ofNullable(last);
    }

    int awaitExit(Duration timeout) throws IOException, InterruptedException {
        if (!launcher.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the run did not finish within " + timeout + ":\n" + output());
        }
        return launcher.process.exitValue();
    }

    static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    @Override
    public void close() throws InterruptedException {
        // SIGKILL also ends a stopped (SIGSTOP) process; nothing a test started may outlive it.
        launcher.close();
    }
}
