package io.ringtrain.benchmarks.checkpoint;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.ringtrain.checkpoint.CheckpointStore;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.checkpoint.DirectoryStore;
import io.ringtrain.checkpoint.S3Store;
import io.ringtrain.checkpoint.S3StoreContext;
import io.ringtrain.checkpoint.ShardWriter;
import io.ringtrain.checkpoint.StateLayout;
import io.ringtrain.checkpoint.StoredObject;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Checkpoint cost: n writer threads stand in for n ranks holding the same state; each saves its
 * 1/n shard. Measures synchronous save (snapshot + checksum + write + commit), asynchronous save
 * (the stall is the time until {@code saveShardAsync} returns, i.e. the snapshot copy; the total
 * is until the commit) and a full restore with checksum verification.
 */
@Command(name = "checkpoint", mixinStandardHelpOptions = true,
        description = "Save and restore a flattened state of the given sizes with n writers to a directory and/or an S3 server; "
                + "prints throughput (GB/s = 1e9 bytes/s) and the async-save stall against the synchronous save time.")
public final class CheckpointBench implements Callable<Integer> {
    @Option(names = "--sizes", split = ",", defaultValue = "256M,1G", description = "State sizes, e.g. 256M,1G (K/M/G are binary). Default: ${DEFAULT-VALUE}")
    List<String> sizes;
    @Option(names = "--writers", defaultValue = "4", description = "Writer threads, one per simulated rank. Default: ${DEFAULT-VALUE}")
    int writers;
    @Option(names = "--iterations", defaultValue = "3", description = "Measured repetitions of each phase (after one warm-up save). Default: ${DEFAULT-VALUE}")
    int iterations;
    @Option(names = "--dir", description = "Directory to save under (a fresh subdirectory is used and removed). Default: the system temp dir")
    Path dir;
    @Option(names = "--no-dir", description = "Skip the directory target")
    boolean noDir;
    @Option(names = "--s3", description = "Also save to an embedded S3Proxy on 127.0.0.1 (filesystem store in a temp dir)")
    boolean embeddedS3;
    @Option(names = "--s3-endpoint", description = "Also save to this S3-compatible endpoint (credentials and region from the AWS default chain)")
    URI s3Endpoint;
    @Option(names = "--s3-bucket", defaultValue = "ringtrain-bench", description = "Bucket on --s3-endpoint (must exist). Default: ${DEFAULT-VALUE}")
    String s3Bucket;
    @Option(names = "--part-size", defaultValue = "32M", description = "S3 multipart part size. Default: ${DEFAULT-VALUE}")
    String partSize;
    @Option(names = "--upload-parallelism", defaultValue = "4", description = "S3 parts in flight per store. Default: ${DEFAULT-VALUE}")
    int uploadParallelism;
    @Option(names = "--read-parallelism", defaultValue = "4", description = "Ranged reads in flight while restoring. Default: ${DEFAULT-VALUE}")
    int readParallelism;
    @Option(names = "--serial-snapshot", description = "Copy each snapshot with one thread instead of two")
    boolean serialSnapshot;
    @Option(names = "--verbose", description = "Keep INFO logging (one line per shard saved)")
    boolean verbose;

    /** One measured configuration; times in seconds over the iterations. */
    record Row(String target, long bytes, int writers, double[] syncSave, double[] stall, double[] asyncTotal, double[] restore,
               boolean restoredEqual) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new CheckpointBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!verbose) {
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        }
        if (writers < 1 || iterations < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--writers and --iterations must be at least 1");
        }
        List<Long> bytes = sizes.stream().map(CheckpointBench::parseSize).toList();
        List<Row> rows = new ArrayList<>();
        System.out.printf("load average at start: %s on %d cores%n", loadAverage(), Runtime.getRuntime().availableProcessors());
        if (!noDir) {
            Path parent = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
            Path root = parent.resolve("ringtrain-bench-" + UUID.randomUUID());
            try {
                for (long size : bytes) {
                    rows.add(measure("dir", DirectoryStore.open(root), size));
                }
            } finally {
                EmbeddedS3.deleteTree(root);
            }
        }
        if (embeddedS3) {
            try (EmbeddedS3 server = new EmbeddedS3()) {
                System.out.printf("embedded S3Proxy at %s, filesystem store in %s%n", server.endpoint(), server.directory());
                for (long size : bytes) {
                    rows.add(measure("s3 (S3Proxy)", S3Store.open(s3Context(server.endpoint(), EmbeddedS3.BUCKET)
                            .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create(server.identity, server.secret)))), size));
                }
            }
        }
        if (s3Endpoint != null) {
            for (long size : bytes) {
                rows.add(measure("s3 " + s3Endpoint, S3Store.open(s3Context(s3Endpoint, s3Bucket)), size));
            }
        }
        if (rows.isEmpty()) {
            System.err.println("nothing to measure: drop --no-dir or add --s3 / --s3-endpoint");
            return 2;
        }
        printTable(rows);
        return rows.stream().allMatch(Row::restoredEqual) ? 0 : 1;
    }

    private S3StoreContext s3Context(URI endpoint, String bucket) {
        return new S3StoreContext().uri("s3://" + bucket + "/ringtrain-bench-" + UUID.randomUUID()).endpoint(endpoint)
                .partSize(parseSize(partSize)).uploadParallelism(uploadParallelism);
    }

    private Row measure(String target, CheckpointStore store, long size) throws Exception {
        String run = "bench";
        StateLayout layout = StateLayout.of(TensorSpec.newBuilder().setName("state").setDtype(Dtype.DTYPE_INT64).addShape(size / 8).build());
        System.out.printf("%n== %s %s: state %s, %d writers, %d iterations%n", target, store.uri(), human(size), writers, iterations);
        ByteBuffer state = randomState(layout.totalBytes());
        ExecutorService ranks = Executors.newFixedThreadPool(writers);
        List<ShardWriter> shardWriters = new ArrayList<>();
        try (Checkpoints checkpoints = Checkpoints.open(store, new Checkpoints.Context().keep(Integer.MAX_VALUE).readParallelism(readParallelism))) {
            for (int rank = 0; rank < writers; rank++) {
                shardWriters.add(new ShardWriter(checkpoints.store(), new ShardWriter.Context().runId(run).parallelSnapshot(!serialSnapshot)));
            }
            long step = 0;
            double warmUp = syncSave(checkpoints, shardWriters, ranks, layout, state, run, step);
            System.out.printf("  warm-up save (allocates staging buffers): %.3f s%n", warmUp);
            // Sync and async saves alternate so that drifts in the machine's load or the disk's
            // write-back state hit both alike.
            double[] sync = new double[iterations];
            double[] stall = new double[iterations];
            double[] asyncTotal = new double[iterations];
            for (int i = 0; i < iterations; i++) {
                deleteStep(store, run, step);
                sync[i] = syncSave(checkpoints, shardWriters, ranks, layout, state, run, ++step);
                System.out.printf("  sync save %d/%d: %.3f s (%.2f GB/s)%n", i + 1, iterations, sync[i], size / sync[i] / 1e9);
                deleteStep(store, run, step);
                double[] result = asyncSave(checkpoints, shardWriters, ranks, layout, state, run, ++step);
                stall[i] = result[0];
                asyncTotal[i] = result[1];
                System.out.printf("  async save %d/%d: stall %.2f ms (slowest rank), total until commit %.3f s%n",
                        i + 1, iterations, stall[i] * 1e3, asyncTotal[i]);
            }
            CheckpointManifest manifest = checkpoints.manifest(run, step);
            ByteBuffer restored = ByteBuffer.allocateDirect((int) size);
            double[] restore = new double[iterations];
            for (int i = 0; i < iterations; i++) {
                restored.clear();
                long start = System.nanoTime();
                checkpoints.restore(manifest, restored);
                restore[i] = (System.nanoTime() - start) / 1e9;
                System.out.printf("  restore %d/%d: %.3f s (%.2f GB/s)%n", i + 1, iterations, restore[i], size / restore[i] / 1e9);
            }
            boolean equal = restored.flip().equals(state);
            System.out.printf("  restored state %s the saved one%n", equal ? "equals" : "DIFFERS FROM");
            deleteStep(store, run, step);
            return new Row(target, size, writers, sync, stall, asyncTotal, restore, equal);
        } finally {
            shardWriters.forEach(ShardWriter::close);
            ranks.shutdownNow();
        }
    }

    private double syncSave(Checkpoints checkpoints, List<ShardWriter> shardWriters, ExecutorService ranks, StateLayout layout,
                            ByteBuffer state, String run, long step) {
        long start = System.nanoTime();
        List<CompletableFuture<ShardReport>> saves = new ArrayList<>();
        for (int rank = 0; rank < writers; rank++) {
            int r = rank;
            saves.add(CompletableFuture.supplyAsync(() -> shardWriters.get(r).saveShard(step, r, writers, state), ranks));
        }
        checkpoints.commit(Checkpoints.draft(run, step, writers, layout).build(), saves.stream().map(CompletableFuture::join).toList());
        return (System.nanoTime() - start) / 1e9;
    }

    /** @return {slowest rank's stall, time until commit}, in seconds */
    private double[] asyncSave(Checkpoints checkpoints, List<ShardWriter> shardWriters, ExecutorService ranks, StateLayout layout,
                               ByteBuffer state, String run, long step) {
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Object[]>> calls = new ArrayList<>();
        for (int rank = 0; rank < writers; rank++) {
            int r = rank;
            calls.add(CompletableFuture.supplyAsync(() -> {
                awaitQuietly(go);
                long called = System.nanoTime();
                CompletableFuture<ShardReport> save = shardWriters.get(r).saveShardAsync(step, r, writers, state);
                return new Object[] {System.nanoTime() - called, save};
            }, ranks));
        }
        long start = System.nanoTime();
        go.countDown();
        long maxStall = 0;
        List<ShardReport> reports = new ArrayList<>();
        for (CompletableFuture<Object[]> call : calls) {
            Object[] result = call.join();
            maxStall = Math.max(maxStall, (Long) result[0]);
            @SuppressWarnings("unchecked")
            CompletableFuture<ShardReport> save = (CompletableFuture<ShardReport>) result[1];
            reports.add(save.join());
        }
        checkpoints.commit(Checkpoints.draft(run, step, writers, layout).build(), reports);
        return new double[] {maxStall / 1e9, (System.nanoTime() - start) / 1e9};
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void deleteStep(CheckpointStore store, String run, long step) {
        for (StoredObject object : store.list(String.format("%s/step-%012d/", run, step))) {
            store.delete(object.key());
        }
    }

    private static ByteBuffer randomState(long bytes) {
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("state sizes up to 2 GiB - 8 bytes (one direct buffer), got " + bytes);
        }
        ByteBuffer state = ByteBuffer.allocateDirect((int) bytes);
        LongBuffer longs = state.asLongBuffer();
        SplittableRandom random = new SplittableRandom(bytes);
        while (longs.hasRemaining()) {
            longs.put(random.nextLong());
        }
        return state;
    }

    static long parseSize(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long value = Long.parseLong(digits.trim()) * unit;
            if (value <= 0 || value % 8 != 0) {
                throw new IllegalArgumentException("size must be a positive multiple of 8 bytes: " + text);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cannot read size '" + text + "': write e.g. 256M or 1G", e);
        }
    }

    static String human(long bytes) {
        return bytes % (1L << 30) == 0 ? (bytes >> 30) + " GiB" : bytes % (1L << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " B";
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static double best(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    /** "median s (GB/s at median; GB/s at best)" */
    private static String rate(long bytes, double[] seconds) {
        return String.format("%.3f s (%.2f GB/s; best %.2f)", median(seconds), bytes / median(seconds) / 1e9, bytes / best(seconds) / 1e9);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private void printTable(List<Row> rows) {
        System.out.printf("%n%d iterations; median (GB/s = 1e9 bytes/s at the median; best); stall = slowest rank's "
                + "saveShardAsync call; load average now %s on %d cores%n", iterations, loadAverage(), Runtime.getRuntime().availableProcessors());
        System.out.println("| target | state | writers | sync save | async stall: median (best) | stall / sync save (medians) | async save until commit | restore (verified) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (Row row : rows) {
            System.out.printf("| %s | %s | %d | %s | %.1f ms (%.1f ms) | %.1f%% | %s | %s%s |%n",
                    row.target(), human(row.bytes()), row.writers(), rate(row.bytes(), row.syncSave()),
                    median(row.stall()) * 1e3, best(row.stall()) * 1e3, 100 * median(row.stall()) / median(row.syncSave()),
                    rate(row.bytes(), row.asyncTotal()), rate(row.bytes(), row.restore()), row.restoredEqual() ? "" : " MISMATCH");
        }
        System.out.flush();
    }
}
