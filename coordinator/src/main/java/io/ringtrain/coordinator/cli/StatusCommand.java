package io.ringtrain.coordinator.cli;

import io.ringtrain.coordinator.k8s.RunStatus;
import io.ringtrain.coordinator.launch.LaunchedRuns;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show one run as its coordinator last recorded it (every few seconds): phase, step, loss, last checkpoint, workers.",
                "--watch prints a line whenever it changes, until the run succeeds (exit 0) or fails (exit 1)."})
final class StatusCommand implements Callable<Integer> {

    private static final java.time.format.DateTimeFormatter CLOCK = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

    @ParentCommand
    RingtrainCli cli;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Mixin
    KubernetesOptions k8s;

    @Option(names = {"-w", "--watch"}, description = "Follow the run until it ends.")
    boolean watch;

    @Option(names = "--poll", paramLabel = "DURATION", defaultValue = "1s", description = "How often --watch reads the status. Default: ${DEFAULT-VALUE}")
    Duration poll;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "0s",
            description = "Stop watching after this long (exit 1); 0: when the run ends. Default: ${DEFAULT-VALUE}")
    Duration timeout;

    @Override
    public Integer call() {
        RunOptions.require(!poll.isNegative() && !poll.isZero(), "--poll must be positive, got " + poll);
        return RunCommands.withRuns(k8s, "read run " + name, (runs, namespace) -> {
            LaunchedRuns.Run run = RunCommands.require(runs, name, namespace);
            if (!watch) {
                cli.out.print(RunViews.detail(run, Instant.now()));
                cli.out.flush();
                return RingtrainCli.EXIT_OK;
            }
            long deadline = timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
            String last = "";
            while (true) {
                RunStatus s = run.status();
                String line = RunViews.line(s, run.desiredWorkers());
                if (!line.equals(last)) {
                    cli.out.println(java.time.LocalTime.now().format(CLOCK) + "  " + line);
                    cli.out.flush();
                    last = line;
                }
                if (s.finished()) {
                    return RunStatus.SUCCEEDED.equals(s.phase()) ? RingtrainCli.EXIT_OK : RingtrainCli.EXIT_FAILED;
                }
                if (System.nanoTime() > deadline) {
                    cli.err.println("status: run " + name + " is still " + RunViews.phase(s) + " after " + timeout);
                    return RingtrainCli.EXIT_FAILED;
                }
                try {
                    Thread.sleep(poll.toMillis()); // a poll interval, not synchronisation: the status changes on the server
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return RingtrainCli.EXIT_INTERRUPTED;
                }
                run = RunCommands.require(runs, name, namespace);
            }
        });
    }
}
