package io.ringtrain.coordinator.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** How long a run waits for workers, and what a leaving worker first lets the ring do: `local` and `coordinator` alike. */
final class ChangeOptions {

    @Option(names = "--rendezvous-timeout", paramLabel = "DURATION",
            description = "How long the run waits for its workers, at the start and when paused below --min-workers, before it fails. Default: ${DEFAULT-VALUE}")
    Duration rendezvousTimeout;

    @Option(names = "--checkpoint-before-leave", paramLabel = "K",
            description = "A worker that leaves on purpose (SIGTERM) first lets the ring commit a checkpoint when the newest is K or more steps old; 0: never. Default: ${DEFAULT-VALUE}")
    long checkpointBeforeLeave;
}
