package io.ringtrain.benchmarks.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** A `ringtrain local` process the fault benchmark drives: its console output, and its worker processes by name. */
final class RingtrainLocal implements AutoCloseable {
    private final Process process;
    private final Path output;

    private RingtrainLocal(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    static RingtrainLocal start(Path jar, Path dir, String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString()));
        command.addAll(args);
        Path output = dir.resolve(name + ".out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        RingtrainLocal run = new RingtrainLocal(process, output);
        Runtime.getRuntime().addShutdownHook(new Thread(run::close));
        return run;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Sleeps {@code time}, returning early (false) if the run ends meanwhile. */
    boolean sleepWhileAlive(Duration time) throws InterruptedException {
        return !process.waitFor(time.toMillis(), TimeUnit.MILLISECONDS);
    }

    int count(String text) throws IOException {
        String all = Files.readString(output);
        int n = 0;
        for (int i = all.indexOf(text); i >= 0; i = all.indexOf(text, i + text.length())) {
            n++;
        }
        return n;
    }

    void awaitOutput(String text, Duration timeout) throws IOException, InterruptedException {
        awaitCount(text, 1, timeout);
    }

    /** Waits (bounded) until {@code text} was printed {@code times} times, or the run ended. */
    void awaitCount(String text, int times, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count(text) < times && process.isAlive() && System.nanoTime() < deadline) {
            process.waitFor(100, TimeUnit.MILLISECONDS);
        }
    }

    void awaitExit(Duration timeout) throws IOException, InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the run did not end within " + timeout + "; see " + output);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("the run failed (exit " + process.exitValue() + "); see " + output + ":\n"
                    + String.join("\n", Files.readAllLines(output).stream().skip(Math.max(0, Files.readAllLines(output).size() - 15)).toList()));
        }
    }

    /** A live worker process, chosen at random among worker-0 .. worker-(n-1). */
    Optional<ProcessHandle> randomWorker(SplittableRandom random, int workers) {
        List<ProcessHandle> live = process.descendants().filter(p -> p.isAlive() && workerName(p).startsWith("worker-")).toList();
        return live.isEmpty() ? Optional.empty() : Optional.of(live.get(random.nextInt(live.size())));
    }

    /** The --name a worker process runs under, from /proc (ProcessHandle.Info leaves long argument lists out). */
    static String workerName(ProcessHandle p) {
        try {
            String[] args = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).split("\0");
            for (int i = 0; i + 1 < args.length; i++) {
                if (args[i].equals("--name")) {
                    return args[i + 1];
                }
            }
        } catch (IOException gone) {
            // exited meanwhile
        }
        return "";
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
