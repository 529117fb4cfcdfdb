package io.ringtrain.benchmarks;

import io.ringtrain.benchmarks.allreduce.AllReduceBench;
import io.ringtrain.benchmarks.checkpoint.CheckpointBench;
import io.ringtrain.benchmarks.faults.FaultBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar ringtrain-bench.jar <command>}: the scaling-study harness. */
@Command(name = "ringtrain-bench", mixinStandardHelpOptions = true,
        description = "ringtrain scaling-study benchmarks: all-reduce bandwidth, checkpoints, fault tolerance, micro-benchmarks.",
        subcommands = {AllReduceBench.class, CheckpointBench.class, FaultBench.class, JmhCommand.class})
public final class BenchCli implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new BenchCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof io.ringtrain.allreduce.DataPlaneException) {
                cmd.getErr().println(cmd.getColorScheme().errorText(e.getMessage()));
                return 2;
            }
            throw e;
        });
        System.exit(cli.execute(args));
    }
}
