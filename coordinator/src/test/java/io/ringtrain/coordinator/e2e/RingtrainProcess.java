package io.ringtrain.coordinator.e2e;

import io.ringtrain.coordinator.cli.RingtrainCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The ringtrain command line in its own JVM, as a user runs it; output goes to files in the test's directory. */
final class RingtrainProcess implements AutoCloseable {
    final Process process;
    final Path out;
    final Path err;

    private RingtrainProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    static RingtrainProcess start(Path dir, String name, String... args) throws IOException {
        return start(List.of(), dir, name, args);
    }

    /** As {@link #start(Path, String, String...)}, the command line led by {@code prefix} (e.g. {@code ip netns exec <ns>}). */
    static RingtrainProcess start(List<String> prefix, Path dir, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), RingtrainCli.class.getName()));
        command.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new RingtrainProcess(process, out, err);
    }

    /** Runs to completion (bounded) and returns the exit code. */
    static int run(Path dir, String name, long timeoutSeconds, String... args) throws Exception {
        try (RingtrainProcess p = start(dir, name, args)) {
            if (!p.process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new AssertionError(name + " did not finish within " + timeoutSeconds + " s:\n" + p.output());
            }
            return p.process.exitValue();
        }
    }

    /**
     * The live JVMs it started to play {@code role} ("worker" or "coordinator": the ringtrain subcommand on their
     * command line).
     */
    List<ProcessHandle> started(String role) {
        return process.descendants().filter(p -> p.isAlive() && arguments(p).contains(role)).toList();
    }

    /** A process's command line from /proc (ProcessHandle.Info leaves the arguments out for long command lines). */
    static List<String> arguments(ProcessHandle p) {
        try {
            return List.of(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).split("\0"));
        } catch (IOException gone) {
            return List.of();
        }
    }

    /**
     * Media-driver directories that process {@code pid} created and left, in /dev/shm or in the temp directory (where
     * the data plane puts them when /dev/shm is too small).
     */
    static List<String> driverDirectoriesLeftBy(long pid) {
        List<String> left = new ArrayList<>();
        for (String parent : List.of("/dev/shm", System.getProperty("java.io.tmpdir"))) {
            String[] names = new java.io.File(parent).list((d, n) -> n.startsWith("ringtrain-" + pid + "-"));
            for (String name : names == null ? new String[0] : names) {
                left.add(parent + "/" + name);
            }
        }
        return left;
    }

    String output() throws IOException {
        return Files.readString(out) + Files.readString(err);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
