package io.ringtrain.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started from this one with the same java binary and classpath, as a rank or worker pod would be. Its
 * stderr goes to a log file whose tail is shown if it fails. Destroyed with this process on Ctrl-C.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final String name;

    private ChildJvm(Process process, Path log, String name) {
        this.process = process;
        this.log = log;
        this.name = name;
    }

    public static ChildJvm start(String name, List<String> jvmOptions, String mainClass, List<String> args, Path logDir)
            throws IOException {
        return start(List.of(), name, jvmOptions, mainClass, args, logDir);
    }

    /** A child whose command line starts with {@code prefix}, e.g. {@code ip netns exec <namespace>}. */
    public static ChildJvm start(List<String> prefix, String name, List<String> jvmOptions, String mainClass, List<String> args,
                                 Path logDir) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        command.add("--add-exports");
        command.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        ChildJvm child = new ChildJvm(process, log, name);
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroyNow));
        return child;
    }

    public Process process() {
        return process;
    }

    public String name() {
        return name;
    }

    /** The last lines of the child's stderr, for error messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public Path log() {
        return log;
    }

    private void destroyNow() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    /** Waits up to {@code seconds} for a normal exit, then kills; returns the exit code. */
    public int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            return -1;
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        destroyNow();
    }
}
