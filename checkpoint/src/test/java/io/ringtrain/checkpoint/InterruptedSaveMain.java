package io.ringtrain.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Run in a separate JVM by {@link InterruptedSaveTest}: saves shards of one step rank after rank,
 * announcing each on stdout, and after {@code ranksBeforePause} shards blocks until killed.
 * Args: rootUri run step worldSize stateBytes seed ranksBeforePause. S3 credentials come from the
 * environment (the standard AWS chain), as in production.
 */
public final class InterruptedSaveMain {
    private InterruptedSaveMain() {
    }

    public static void main(String[] args) throws IOException {
        String root = args[0];
        String run = args[1];
        long step = Long.parseLong(args[2]);
        int worldSize = Integer.parseInt(args[3]);
        ByteBuffer state = TestStates.random(Long.parseLong(args[4]), Long.parseLong(args[5]));
        int ranksBeforePause = Integer.parseInt(args[6]);
        try (Checkpoints checkpoints = Checkpoints.open(root)) {
            for (int rank = 0; rank < worldSize; rank++) {
                if (rank == ranksBeforePause) {
                    System.out.println("writer: PAUSED");
                    System.out.flush();
                    // Blocks until the test kills us; returns -1 (and we exit) if the test JVM dies first.
                    System.in.read();
                    return;
                }
                try (ShardWriter writer = checkpoints.writer(run)) {
                    writer.saveShard(step, rank, worldSize, state);
                }
                System.out.println("writer: SAVED " + rank);
                System.out.flush();
            }
        }
    }
}
