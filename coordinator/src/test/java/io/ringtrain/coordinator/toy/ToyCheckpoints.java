package io.ringtrain.coordinator.toy;

import io.ringtrain.coordinator.CheckpointCommits;
import io.ringtrain.coordinator.CheckpointShards;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.SavedShard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A small real checkpoint store for tests, in the layout of DESIGN.md: shards at
 * {@code <root>/<run>/step-<12 digits>/shard-<rank>-of-<n>.bin}, a MANIFEST written last by an
 * atomic rename. Commit re-reads every shard and checks its size and CRC32C against the report.
 */
public final class ToyCheckpoints implements CheckpointCommits {

    /** Every commit, in order, as the coordinator made them. */
    public final List<CheckpointShards> commits = new CopyOnWriteArrayList<>();

    public static Path root(RunSettings run) {
        String uri = run.checkpointUri();
        return Path.of(uri.startsWith("file://") ? uri.substring("file://".length()) : uri);
    }

    public static Path stepDir(RunSettings run, long step) {
        return root(run).resolve(run.runId()).resolve(String.format("step-%012d", step));
    }

    public static Path shardFile(RunSettings run, long step, int rank, int worldSize) {
        return stepDir(run, step).resolve("shard-" + rank + "-of-" + worldSize + ".bin");
    }

    public static int crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    @Override
    public OptionalLong latestCommittedStep(RunSettings run) throws IOException {
        Path runDir = root(run).resolve(run.runId());
        if (!Files.isDirectory(runDir)) {
            return OptionalLong.empty();
        }
        try (Stream<Path> steps = Files.list(runDir)) {
            return steps.filter(dir -> Files.exists(dir.resolve("MANIFEST")))
                    .mapToLong(dir -> Long.parseLong(dir.getFileName().toString().substring("step-".length())))
                    .max();
        }
    }

    @Override
    public void commit(RunSettings run, CheckpointShards shards) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("step=" + shards.step());
        lines.add("world=" + shards.worldSize());
        for (SavedShard shard : shards.byRank()) {
            byte[] bytes = Files.readAllBytes(shardFile(run, shards.step(), shard.rank(), shards.worldSize()));
            if (bytes.length != shard.sizeBytes() || crc32c(bytes) != shard.crc32c()) {
                throw new IOException("shard " + shard.rank() + " of step " + shards.step() + " does not match its report");
            }
            lines.add("shard " + shard.rank() + " " + shard.sizeBytes() + " " + Integer.toUnsignedString(shard.crc32c()));
        }
        Path dir = stepDir(run, shards.step());
        Path tmp = dir.resolve("MANIFEST.tmp");
        Files.write(tmp, lines);
        Files.move(tmp, dir.resolve("MANIFEST"), StandardCopyOption.ATOMIC_MOVE);
        commits.add(shards);
    }

    /** World size recorded in a committed checkpoint's manifest. */
    static int worldSizeOf(RunSettings run, long step) throws IOException {
        for (String line : Files.readAllLines(stepDir(run, step).resolve("MANIFEST"))) {
            if (line.startsWith("world=")) {
                return Integer.parseInt(line.substring("world=".length()));
            }
        }
        throw new IOException("no world size in the manifest of step " + step);
    }
}
