package io.ringtrain.benchmarks.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A `ringtrain local` process the fault benchmark drives: its console lines, each with the moment this harness read
 * it (what the coordinator-fault figures are timed by), and its worker and coordinator processes.
 */
final class RingtrainLocal implements AutoCloseable {

    /** One console line and when it was read (milliseconds since the epoch, like the run's --summary-json). */
    record Line(long atMillis, String text) {
    }

    private final Process process;
    private final Path output;
    private final List<Line> lines = new ArrayList<>();
    private final Thread reader;

    private RingtrainLocal(Process process, Path output) throws IOException {
        this.process = process;
        this.output = output;
        PrintStream file = new PrintStream(Files.newOutputStream(output), true, StandardCharsets.UTF_8);
        this.reader = new Thread(() -> read(file), "ringtrain-local-output");
        reader.setDaemon(true);
        reader.start();
    }

    static RingtrainLocal start(Path jar, Path dir, String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString()));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        RingtrainLocal run = new RingtrainLocal(process, dir.resolve(name + ".out"));
        Runtime.getRuntime().addShutdownHook(new Thread(run::close));
        return run;
    }

    private void read(PrintStream file) {
        try (file; BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String text; (text = in.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(new Line(System.currentTimeMillis(), text));
                    lines.notifyAll();
                }
                file.println(text);
            }
        } catch (IOException closed) {
            // the process is gone
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Sleeps {@code time}, returning early (false) if the run ends meanwhile. */
    boolean sleepWhileAlive(Duration time) throws InterruptedException {
        return !process.waitFor(time.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Every console line so far. */
    List<Line> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    int count(String text) {
        return (int) lines().stream().filter(l -> l.text().contains(text)).count();
    }

    void awaitOutput(String text, Duration timeout) throws InterruptedException {
        awaitLine(l -> l.text().contains(text), timeout);
    }

    /** Waits (bounded) until {@code text} was printed {@code times} times, or the run ended. */
    void awaitCount(String text, int times, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count(text) < times && process.isAlive() && System.nanoTime() < deadline) {
            synchronized (lines) {
                lines.wait(100);
            }
        }
    }

    /** The first line printed at or after {@code sinceMillis} that matches, waiting for it (bounded) while the run lives. */
    Optional<Line> awaitLine(long sinceMillis, Predicate<String> matches, Duration timeout) throws InterruptedException {
        return awaitLine(l -> l.atMillis() >= sinceMillis && matches.test(l.text()), timeout);
    }

    private Optional<Line> awaitLine(Predicate<Line> matches, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Line> found = lines().stream().filter(matches).findFirst();
            if (found.isPresent() || !process.isAlive() || System.nanoTime() >= deadline) {
                return found;
            }
            synchronized (lines) {
                lines.wait(50);
            }
        }
    }

    void awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the run did not end within " + timeout + "; see " + output);
        }
        reader.join(TimeUnit.SECONDS.toMillis(10)); // the last lines
        if (process.exitValue() != 0) {
            List<Line> all = lines();
            throw new IllegalStateException("the run failed (exit " + process.exitValue() + "); see " + output + ":\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - 15), all.size()).stream().map(Line::text).toList()));
        }
    }

    /** A live worker process, chosen at random among worker-0 .. worker-(n-1). */
    Optional<ProcessHandle> randomWorker(SplittableRandom random, int workers) {
        List<ProcessHandle> live = process.descendants().filter(p -> p.isAlive() && workerName(p).startsWith("worker-")).toList();
        return live.isEmpty() ? Optional.empty() : Optional.of(live.get(random.nextInt(live.size())));
    }

    /**
     * The coordinator process that runs the run: the oldest live one, since the coordinator is a cluster singleton
     * and Pekko places a singleton on the oldest node of its role (a standby, or a restarted coordinator, is younger).
     */
    Optional<ProcessHandle> activeCoordinator() {
        return process.descendants().filter(p -> p.isAlive() && arguments(p).contains("coordinator"))
                .min(Comparator.comparing((ProcessHandle p) -> p.info().startInstant().orElse(Instant.MAX)).thenComparingLong(ProcessHandle::pid));
    }

    /** The --name a worker process runs under. */
    static String workerName(ProcessHandle p) {
        List<String> args = arguments(p);
        int i = args.indexOf("--name");
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "";
    }

    /** A process's command line, from /proc (ProcessHandle.Info leaves long argument lists out); empty once it exited. */
    private static List<String> arguments(ProcessHandle p) {
        try {
            return List.of(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).split("\0"));
        } catch (IOException gone) {
            return List.of();
        }
    }

    /** Sends the signal; false if the process is already gone. */
    static boolean signal(ProcessHandle p, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
