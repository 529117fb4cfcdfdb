package io.ringtrain.coordinator.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Flags take their defaults from the configuration (reference.conf, application.conf, -D,
 * RINGTRAIN_* variables), so a flag is only ever an override and --help shows the effective value.
 */
final class ConfigDefaults implements IDefaultValueProvider {

    /** Flag, or "command flag" where one command's flag has a default of its own -> configuration path. */
    static final Map<String, String> PATHS = Map.ofEntries(
            Map.entry("local --min-workers", "ringtrain.local.min-workers"),
            Map.entry("local --max-restarts", "ringtrain.local.max-restarts"),
            Map.entry("--checkpoint-before-leave", "ringtrain.coordinator.checkpoint-before-leave"),
            Map.entry("--run-id", "ringtrain.run.id"),
            Map.entry("--model", "ringtrain.run.model"),
            Map.entry("--seed", "ringtrain.run.seed"),
            Map.entry("--steps", "ringtrain.run.steps"),
            Map.entry("--global-batch", "ringtrain.run.global-batch"),
            Map.entry("--optimizer", "ringtrain.run.optimizer"),
            Map.entry("--lr", "ringtrain.run.learning-rate"),
            Map.entry("--checkpoint-dir", "ringtrain.run.checkpoint-dir"),
            Map.entry("--s3-endpoint", "ringtrain.run.s3-endpoint"),
            Map.entry("--checkpoint-every", "ringtrain.run.checkpoint-every"),
            Map.entry("--progress-interval", "ringtrain.run.progress-interval"),
            Map.entry("--export-params", "ringtrain.run.export-params"),
            Map.entry("--resume", "ringtrain.coordinator.resume"),
            Map.entry("--rendezvous-timeout", "ringtrain.coordinator.rendezvous-timeout"),
            Map.entry("--workers", "ringtrain.coordinator.min-workers"),
            Map.entry("--min-workers", "ringtrain.coordinator.min-workers"),
            Map.entry("--max-workers", "ringtrain.coordinator.max-workers"),
            Map.entry("--bootstrap", "ringtrain.cluster.bootstrap"),
            Map.entry("--host", "ringtrain.cluster.host"),
            Map.entry("--port", "ringtrain.cluster.port"),
            Map.entry("--join", "ringtrain.cluster.seed-nodes"),
            Map.entry("--name", "ringtrain.worker.name"),
            Map.entry("--ordinal", "ringtrain.worker.ordinal"),
            Map.entry("--ordinal-from-name", "ringtrain.worker.ordinal-from-name"),
            Map.entry("--data-host", "ringtrain.worker.data-plane.host"),
            Map.entry("--data-port", "ringtrain.worker.data-plane.port"));

    private final Config config;

    ConfigDefaults(Config config) {
        this.config = config;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        String command = option.command() == null ? "" : option.command().name() + " ";
        String path = java.util.Arrays.stream(option.names())
                .map(name -> PATHS.getOrDefault(command + name, PATHS.get(name)))
                .filter(java.util.Objects::nonNull).findFirst().orElse(null);
        if (path == null || !config.hasPath(path)) {
            return null;
        }
        if (config.getValue(path).valueType() == ConfigValueType.LIST) {
            return String.join(",", config.getStringList(path));
        }
        return config.getValue(path).unwrapped().toString();
    }

    /** HOCON durations on the command line: 2s, 500ms, 1m. */
    static void registerConverters(CommandLine commandLine) {
        commandLine.registerConverter(Duration.class, text -> {
            try {
                return ConfigFactory.parseString("d = \"" + text.replace("\"", "") + "\"").getDuration("d");
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not a duration; write e.g. 2s, 500ms or 1m");
            }
        });
    }
}
