package io.ringtrain.coordinator.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.ringtrain.coordinator.CheckpointCommits;
import io.ringtrain.coordinator.CheckpointStoreCommits;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.TrainingSessions;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ringtrain} command line. Exit codes: 0 done, 1 the run failed, 2 bad input, 130 interrupted. */
@Command(name = "ringtrain", mixinStandardHelpOptions = true, versionProvider = RingtrainCli.Version.class,
        description = "Distributed data-parallel training on the JVM: a Pekko cluster of one coordinator and N workers.",
        subcommands = {LocalCommand.class, CoordinatorCommand.class, WorkerCommand.class, CheckpointCommand.class,
                LaunchCommand.class, RunsCommand.class, StatusCommand.class, DeleteCommand.class, LogsCommand.class,
                CommandLine.HelpCommand.class})
public final class RingtrainCli {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_INTERRUPTED = 130;

    final TrainingSessions sessions;
    final Function<RunSettings, CheckpointCommits> commits;
    final Config config;
    final PrintStream out;
    final PrintStream err;

    /**
     * @param sessions makes training sessions (and says which models exist)
     * @param commits  the checkpoint store the coordinator commits to, per run
     */
    public RingtrainCli(TrainingSessions sessions, Function<RunSettings, CheckpointCommits> commits, Config config) {
        this(sessions, commits, config, System.out, System.err);
    }

    public RingtrainCli(TrainingSessions sessions, Function<RunSettings, CheckpointCommits> commits, Config config,
                        PrintStream out, PrintStream err) {
        this.sessions = sessions;
        this.commits = commits;
        this.config = config;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("local") && System.getProperty("ringtrain.log.console-level") == null) {
            // The console shows progress, the summary and failures with their reasons; the workers' full
            // logs go to their log files. -Dringtrain.log.console-level=INFO shows the coordinator's log too.
            System.setProperty("ringtrain.log.console-level", "ERROR");
        }
        // Initialise logging before Pekko's threads start logging concurrently (SLF4J would warn about replayed events).
        org.slf4j.LoggerFactory.getILoggerFactory();
        Config config = ConfigFactory.load();
        int keep = config.getInt("ringtrain.run.checkpoint-keep");
        RingtrainCli cli = new RingtrainCli(TrainingSessions.fromClassPath(), run -> new CheckpointStoreCommits(run, keep), config);
        System.exit(cli.commandLine().execute(args));
    }

    public CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(this);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setDefaultValueProvider(new ConfigDefaults(config));
        ConfigDefaults.registerConverters(commandLine);
        commandLine.setOverwrittenOptionsAllowed(true); // the last of a repeated flag wins, as in most tools
        commandLine.setParameterExceptionHandler(RingtrainCli::badInput);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                return badInput(new CommandLine.ParameterException(cmd, e.getMessage(), e), new String[0]);
            }
            if (e instanceof IllegalStateException) {
                cmd.getErr().println(cmd.getCommandName() + ": " + e.getMessage());
                cmd.getErr().flush();
                return EXIT_FAILED;
            }
            throw e;
        });
        return commandLine;
    }

    /** One line saying what is wrong and where to look, rather than the whole usage text. */
    private static int badInput(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandName() + ": " + e.getMessage());
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
        err.flush();
        return EXIT_USAGE;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = RingtrainCli.class.getPackage().getImplementationVersion();
            return new String[] {"ringtrain " + (version == null ? "(development build)" : version)};
        }
    }
}
