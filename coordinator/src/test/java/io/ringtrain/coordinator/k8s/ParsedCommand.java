package io.ringtrain.coordinator.k8s;

import io.ringtrain.coordinator.cli.RingtrainCli;
import io.ringtrain.worker.TrainingSessions;
import java.io.OutputStream;
import java.io.PrintStream;
import picocli.CommandLine;

/**
 * A pod's container args parsed by ringtrain's own command line (nothing runs), with the flag defaults
 * that the pod's configuration gives: what `java -jar ringtrain.jar <args>` would see in that pod.
 */
record ParsedCommand(String name, CommandLine.ParseResult result) {

    static ParsedCommand of(StatefulSetPod pod) {
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
        RingtrainCli cli = new RingtrainCli(TrainingSessions.of(), run -> null, pod.config(), discard, discard);
        CommandLine.ParseResult parsed = cli.commandLine().parseArgs(pod.args().toArray(String[]::new));
        if (!parsed.hasSubcommand()) {
            throw new AssertionError(pod.name() + ": args " + pod.args() + " name no ringtrain subcommand");
        }
        return new ParsedCommand(parsed.subcommand().commandSpec().name(), parsed.subcommand());
    }

    /** The option's value after parsing: given on the command line, else its configured default. */
    <T> T value(String option) {
        CommandLine.Model.OptionSpec spec = result.commandSpec().findOption(option);
        if (spec == null) {
            throw new AssertionError("ringtrain " + name + " has no option " + option);
        }
        return spec.getValue();
    }

    boolean given(String option) {
        return result.hasMatchedOption(option);
    }
}
