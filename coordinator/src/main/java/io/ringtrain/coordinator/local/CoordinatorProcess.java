package io.ringtrain.coordinator.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The coordinator's JVM of a local run (`ringtrain coordinator`): its console lines (progress, membership changes,
 * the summary) go to the launcher's console as they come, its log to a file (and its own error lines to the
 * launcher's error console too); the address its cluster node listens on is read from its first line, so that the
 * launcher can down that node the moment the process dies.
 */
final class CoordinatorProcess extends LaunchedProcess {

    private static final String LISTENING = "coordinator of run ";
    private static final String ON = " listening on ";

    private final CompletableFuture<String> address = new CompletableFuture<>();

    private CoordinatorProcess(String name, Process process) {
        super(name, process);
    }

    /** The first line `ringtrain coordinator` prints: the address of its cluster node, read back by {@link #start}. */
    static String listeningLine(String runId, String hostPort) {
        return LISTENING + runId + ON + hostPort;
    }

    static CoordinatorProcess start(String name, List<String> command, PrintStream out, PrintStream err, Path log) throws IOException {
        Process process = new ProcessBuilder(command).start();
        CoordinatorProcess p = new CoordinatorProcess(name, process);
        p.forward(process.getInputStream(), out::println, true);
        PrintStream file = new PrintStream(Files.newOutputStream(log), true, StandardCharsets.UTF_8);
        p.forward(process.getErrorStream(), line -> {
            file.println(line);
            if (line.startsWith("ringtrain coordinator")) { // its own one-line reports (a failed run), not its log
                err.println(line);
            }
        }, false);
        return p;
    }

    private void forward(InputStream from, java.util.function.Consumer<String> to, boolean announcesAddress) {
        Thread t = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (announcesAddress && !address.isDone() && line.startsWith(LISTENING) && line.contains(ON)) {
                        address.complete(line.substring(line.lastIndexOf(' ') + 1));
                        continue; // the launcher's own business, not the user's
                    }
                    to.accept(line);
                }
            } catch (IOException closed) {
                // the process is gone
            } finally {
                address.completeExceptionally(new IllegalStateException(name() + " exited before it was listening"));
            }
        }, "ringtrain-" + name() + "-output");
        t.setDaemon(true);
        t.start();
    }

    /** "host:port" of its cluster node, once it printed it. */
    CompletableFuture<String> address() {
        return address;
    }
}
