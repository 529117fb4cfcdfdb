package io.ringtrain.coordinator.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The JVM command line that starts {@code ringtrain worker} with this process's java and class path. */
final class WorkerCommandLine {

    static final String MAIN_CLASS = "io.ringtrain.coordinator.cli.RingtrainCli";

    private WorkerCommandLine() {
    }

    /** java, JVM flags and main class; the caller appends the subcommand and its flags. */
    static List<String> jvm(List<String> extraJvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // Agrona (Aeron) needs this on every JVM; a plain `java -cp` does not read the jar manifest's Add-Exports.
        command.add("--add-exports");
        command.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        // One GC thread instead of one per core: several workers share 2 cores.
        command.add("-XX:+UseSerialGC");
        System.getProperties().stringPropertyNames().stream()
                .filter(k -> (k.startsWith("ringtrain.") || k.startsWith("config.")) && !k.equals("ringtrain.log.console-level"))
                .sorted()
                .forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
        command.addAll(extraJvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(MAIN_CLASS);
        return command;
    }
}
