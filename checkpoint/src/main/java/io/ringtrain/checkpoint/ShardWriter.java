package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.ShardReport;
import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves one rank's shard of the flattened state. {@link #saveShardAsync} copies the rank's byte
 * range into a host staging buffer (the only time the caller waits), then checksums and uploads it
 * on a background thread. The staging buffer is kept between saves and grown only when a shard is
 * bigger than before, so steady-state saves allocate nothing. At most one save is in flight.
 */
public final class ShardWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardWriter.class);
    /** Below this a second copy thread costs more in hand-off than it saves. */
    static final int PARALLEL_SNAPSHOT_MIN_BYTES = 4 * 1024 * 1024;

    /** Settings of a {@link ShardWriter}. */
    public static final class Context {
        private String runId;
        private SavePolicy savePolicy = SavePolicy.WAIT;
        private boolean parallelSnapshot = true;

        public Context runId(String runId) {
            this.runId = runId;
            return this;
        }

        public String runId() {
            return runId;
        }

        /** What a save does while the previous one is still uploading; default {@link SavePolicy#WAIT}. */
        public Context savePolicy(SavePolicy savePolicy) {
            this.savePolicy = savePolicy;
            return this;
        }

        public SavePolicy savePolicy() {
            return savePolicy;
        }

        /** Copy the snapshot with two threads (the caller and the idle upload thread); default true. */
        public Context parallelSnapshot(boolean parallelSnapshot) {
            this.parallelSnapshot = parallelSnapshot;
            return this;
        }

        public boolean parallelSnapshot() {
            return parallelSnapshot;
        }

        public Context conclude() {
            CheckpointKeys.checkRun(runId);
            if (savePolicy == null) {
                throw new CheckpointException("ShardWriter savePolicy must be WAIT or SKIP, got null");
            }
            return this;
        }
    }

    private final CheckpointStore store;
    private final Context context;
    private final ExecutorService uploads;
    private ByteBuffer staging;
    private CompletableFuture<ShardReport> inFlight = CompletableFuture.completedFuture(null);
    private long inFlightStep = -1;

    public ShardWriter(CheckpointStore store, Context context) {
        this.store = store;
        this.context = context.conclude();
        this.uploads = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "ringtrain-checkpoint-upload-" + context.runId());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Snapshots this rank's range of {@code state} and saves it in the background.
     *
     * @param state the whole flattened state, from its position to its limit (not moved); identical on
     *              every rank. It may be changed as soon as this method returns.
     * @return completes with the shard's report once the shard is durable in the store, or
     *         exceptionally with a {@link CheckpointException} (a {@link SaveSkippedException} when
     *         the policy is SKIP and the previous save is still running)
     */
    public synchronized CompletableFuture<ShardReport> saveShardAsync(long step, int rank, int worldSize, ByteBuffer state) {
        if (uploads.isShutdown()) {
            throw new CheckpointException("shard writer of run " + context.runId() + " is closed; create a new one");
        }
        ByteRange range = ShardSplit.range(state.remaining(), worldSize, rank);
        String key = CheckpointKeys.shard(context.runId(), step, rank, worldSize);
        if (!inFlight.isDone()) {
            if (context.savePolicy() == SavePolicy.SKIP) {
                return CompletableFuture.failedFuture(new SaveSkippedException("save of step " + step + " (rank " + rank
                        + ") skipped: the save of step " + inFlightStep + " is still uploading and the policy is SKIP"));
            }
            awaitQuietly(inFlight);
        }
        snapshot(state, range);
        long stateBytes = state.remaining();
        ByteBuffer shard = staging.duplicate();
        inFlightStep = step;
        inFlight = CompletableFuture.supplyAsync(() -> upload(key, step, rank, worldSize, stateBytes, range, shard), uploads);
        return inFlight.copy();
    }

    /** Saves this rank's shard and returns once it is durable. */
    public ShardReport saveShard(long step, int rank, int worldSize, ByteBuffer state) {
        try {
            return saveShardAsync(step, rank, worldSize, state).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof CheckpointException c ? c : new CheckpointException(e.getCause().toString(), e.getCause());
        }
    }

    /** Bytes of host memory held for snapshots (the largest shard saved so far). */
    public synchronized long stagingBytes() {
        return staging == null ? 0 : staging.capacity();
    }

    synchronized ByteBuffer stagingBuffer() {
        return staging;
    }

    private void snapshot(ByteBuffer state, ByteRange range) {
        if (range.length() > Integer.MAX_VALUE) {
            throw new CheckpointException("a shard of " + range.length() + " bytes does not fit one staging buffer (2 GiB): use more ranks");
        }
        int length = (int) range.length();
        if (staging == null || staging.capacity() < length) {
            staging = null; // let the old buffer go before allocating the larger one
            staging = ByteBuffer.allocateDirect(length);
        }
        int start = state.position() + (int) range.offset();
        // The upload thread is idle while we snapshot (at most one save in flight), so it copies the
        // second half: on a multi-core host two threads move memory faster than one, and only the
        // copy stalls training.
        int split = context.parallelSnapshot() && length >= PARALLEL_SNAPSHOT_MIN_BYTES ? length / 2 : length;
        Future<?> helper = split < length ? uploads.submit(() -> copy(state, start + split, staging, split, length - split)) : null;
        copy(state, start, staging, 0, split);
        if (helper != null) {
            awaitCopy(helper);
        }
        staging.position(0).limit(length);
    }

    private static void copy(ByteBuffer from, int fromOffset, ByteBuffer to, int toOffset, int length) {
        to.duplicate().clear().position(toOffset).put(from.duplicate().limit(fromOffset + length).position(fromOffset));
    }

    private static void awaitCopy(Future<?> helper) {
        try {
            helper.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException("interrupted while taking a snapshot", e);
        } catch (ExecutionException e) {
            throw new CheckpointException("snapshot copy failed: " + e.getCause(), e.getCause());
        }
    }

    private ShardReport upload(String key, long step, int rank, int worldSize, long stateBytes, ByteRange range, ByteBuffer shard) {
        long started = System.nanoTime();
        CRC32C crc = new CRC32C();
        crc.update(shard.duplicate());
        store.put(key, shard);
        ShardReport report = ShardReport.newBuilder()
                .setRunId(context.runId()).setStep(step).setRank(rank).setWorldSize(worldSize).setStateBytes(stateBytes)
                .setByteOffset(range.offset()).setByteLength(range.length()).setCrc32C((int) crc.getValue())
                .setObjectName(CheckpointKeys.shardName(rank, worldSize))
                .build();
        LOG.info("saved shard {} of {} for run {} step {}: {} bytes, crc32c {} to {} in {} ms", rank, worldSize, context.runId(),
                step, range.length(), StateReader.hex(report.getCrc32C()), store.locate(key), (System.nanoTime() - started) / 1_000_000);
        return report;
    }

    private static void awaitQuietly(CompletableFuture<?> future) {
        try {
            future.join();
        } catch (CompletionException | CancellationException ignored) {
            // The failed save was reported through its own future.
        }
    }

    /** Waits for the save in flight (its outcome goes to its future) and stops the upload thread. */
    @Override
    public synchronized void close() {
        awaitQuietly(inFlight);
        uploads.shutdown();
        staging = null;
    }
}
