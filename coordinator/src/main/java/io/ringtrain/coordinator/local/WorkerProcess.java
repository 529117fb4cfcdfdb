package io.ringtrain.coordinator.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** One worker JVM started by {@code ringtrain local}; its stdout and stderr go to its log file. */
final class WorkerProcess extends LaunchedProcess {

    private final Path log;

    private WorkerProcess(String name, Process process, Path log) {
        super(name, process);
        this.log = log;
    }

    static WorkerProcess start(String name, List<String> command, Map<String, String> environment, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        return new WorkerProcess(name, builder.start(), log);
    }

    Path log() {
        return log;
    }

    /** Whether it ended on its own with a failure (not because we stopped it). */
    boolean failed() {
        return !isAlive() && exitCode() != 0 && !stopRequested();
    }

    /** The last {@code lines} lines of its log (reads at most the last 64 KiB). */
    List<String> tail(int lines) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            int size = (int) Math.min(length, 64 * 1024);
            byte[] bytes = new byte[size];
            file.seek(length - size);
            file.readFully(bytes);
            List<String> all = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\r?\n"));
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
        }
    }
}
