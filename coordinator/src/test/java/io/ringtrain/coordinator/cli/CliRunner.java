package io.ringtrain.coordinator.cli;

import com.typesafe.config.ConfigFactory;
import io.ringtrain.coordinator.CheckpointStoreCommits;
import io.ringtrain.coordinator.toy.ToySessionFactory;
import io.ringtrain.worker.TrainingSessions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the ringtrain command line in this JVM with the toy model and captures what it prints. */
final class CliRunner {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) {
        RingtrainCli cli = new RingtrainCli(TrainingSessions.of(new ToySessionFactory()), CheckpointStoreCommits::new, ConfigFactory.load(),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return cli.commandLine().execute(args);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
