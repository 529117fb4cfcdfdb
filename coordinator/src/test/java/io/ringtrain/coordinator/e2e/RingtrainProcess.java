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
        List<String> command = new ArrayList<>(List.of(
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
