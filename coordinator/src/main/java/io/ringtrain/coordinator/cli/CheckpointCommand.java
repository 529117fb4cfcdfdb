package io.ringtrain.coordinator.cli;

import io.ringtrain.checkpoint.CheckpointException;
import io.ringtrain.checkpoint.CheckpointTools;
import io.ringtrain.checkpoint.VerifyReport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "checkpoint", mixinStandardHelpOptions = true,
        description = "Look at checkpoints: a root (./ckpt, s3://bucket/prefix), a run (<root>/<run>: its latest) or one step (<root>/<run>/step-<n>).",
        subcommands = {CheckpointCommand.Ls.class, CheckpointCommand.Inspect.class, CheckpointCommand.Verify.class})
final class CheckpointCommand {

    @ParentCommand
    RingtrainCli cli;

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List runs and their checkpoints, with what is wrong with invalid ones.")
    static final class Ls implements Callable<Integer> {
        @ParentCommand
        CheckpointCommand parent;

        @Parameters(paramLabel = "URI")
        String uri;

        @Override
        public Integer call() {
            return print(parent.cli, () -> CheckpointTools.ls(uri).toText());
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show a checkpoint's manifest: step, world size, tensors, shards.")
    static final class Inspect implements Callable<Integer> {
        @ParentCommand
        CheckpointCommand parent;

        @Parameters(paramLabel = "URI")
        String uri;

        @Option(names = "--json", description = "Print JSON instead of text.")
        boolean json;

        @Override
        public Integer call() {
            return print(parent.cli, () -> json ? CheckpointTools.inspect(uri).toJson() : CheckpointTools.inspect(uri).toText());
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, description = "Re-read every shard and check its size and checksum; exit 1 on any mismatch.")
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        CheckpointCommand parent;

        @Parameters(paramLabel = "URI")
        String uri;

        @Override
        public Integer call() {
            try {
                VerifyReport report = CheckpointTools.verify(uri);
                parent.cli.out.println(report.toText());
                return report.passed() ? RingtrainCli.EXIT_OK : RingtrainCli.EXIT_FAILED;
            } catch (CheckpointException e) {
                parent.cli.err.println("ringtrain checkpoint verify: " + e.getMessage());
                return RingtrainCli.EXIT_FAILED;
            }
        }
    }

    private static int print(RingtrainCli cli, java.util.function.Supplier<String> tool) {
        try {
            cli.out.println(tool.get());
            return RingtrainCli.EXIT_OK;
        } catch (CheckpointException e) {
            cli.err.println("ringtrain checkpoint: " + e.getMessage());
            return RingtrainCli.EXIT_FAILED;
        }
    }
}
