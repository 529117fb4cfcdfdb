package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.RunCompletion;
import io.ringtrain.protocol.checkpoint.ShardReport;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints under one root: save shards ({@link #writer}), commit a step ({@link #commit}),
 * find the newest valid one ({@link #latest}), restore all or part of it at any world size, prune
 * old ones and verify. Owns the store and a small pool of reader threads; close it when done.
 */
public final class Checkpoints implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

    /** Settings of {@link Checkpoints}. */
    public static final class Context {
        public static final int DEFAULT_KEEP = 3;
        public static final int DEFAULT_READ_PARALLELISM = 4;
        public static final int DEFAULT_READ_CHUNK_BYTES = 16 * 1024 * 1024;

        private int keep = DEFAULT_KEEP;
        private int readParallelism = DEFAULT_READ_PARALLELISM;
        private int readChunkBytes = DEFAULT_READ_CHUNK_BYTES;
        private SavePolicy savePolicy = SavePolicy.WAIT;

        /** Committed checkpoints kept per run after each commit (at least 1). */
        public Context keep(int keep) {
            this.keep = keep;
            return this;
        }

        public int keep() {
            return keep;
        }

        /** Ranged reads in flight at once while restoring or verifying. */
        public Context readParallelism(int readParallelism) {
            this.readParallelism = readParallelism;
            return this;
        }

        public int readParallelism() {
            return readParallelism;
        }

        /** Largest single ranged read. */
        public Context readChunkBytes(int readChunkBytes) {
            this.readChunkBytes = readChunkBytes;
            return this;
        }

        public int readChunkBytes() {
            return readChunkBytes;
        }

        /** Policy of the writers {@link #writer} creates. */
        public Context savePolicy(SavePolicy savePolicy) {
            this.savePolicy = savePolicy;
            return this;
        }

        public SavePolicy savePolicy() {
            return savePolicy;
        }

        public Context conclude() {
            if (keep < 1) {
                throw new CheckpointException("checkpoint setting keep = " + keep + " must be at least 1");
            }
            if (readParallelism < 1 || readParallelism > 64) {
                throw new CheckpointException("checkpoint setting readParallelism = " + readParallelism + " is outside [1, 64]");
            }
            if (readChunkBytes < 4096) {
                throw new CheckpointException("checkpoint setting readChunkBytes = " + readChunkBytes + " must be at least 4096");
            }
            if (savePolicy == null) {
                throw new CheckpointException("checkpoint setting savePolicy must be WAIT or SKIP");
            }
            return this;
        }
    }

    private final CheckpointStore store;
    private final Context context;
    private final ExecutorService readers;
    private final CheckpointCatalog catalog;

    private Checkpoints(CheckpointStore store, Context context) {
        this.store = store;
        this.context = context.conclude();
        AtomicInteger threads = new AtomicInteger();
        this.readers = Executors.newFixedThreadPool(context.readParallelism(), task -> {
            Thread thread = new Thread(task, "ringtrain-checkpoint-read-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.catalog = new CheckpointCatalog(store);
    }

    /** Opens the root at {@code uri} (see {@link CheckpointStore#open}) with default settings. */
    public static Checkpoints open(String uri) {
        return open(CheckpointStore.open(uri), new Context());
    }

    /** Uses {@code store}, which this object then owns and closes. */
    public static Checkpoints open(CheckpointStore store, Context context) {
        return new Checkpoints(store, context);
    }

    public CheckpointStore store() {
        return store;
    }

    /** A writer for one rank of run {@code runId}; each rank keeps one for the whole run. */
    public ShardWriter writer(String runId) {
        return new ShardWriter(store, new ShardWriter.Context().runId(runId).savePolicy(context.savePolicy()));
    }

    /**
     * A manifest draft for {@link #commit}: run, step, world size and tensors set; add progress,
     * optimizer and run config before committing.
     */
    public static CheckpointManifest.Builder draft(String run, long step, int worldSize, StateLayout layout) {
        return CheckpointManifest.newBuilder().setRunId(run).setStep(step).setWorldSize(worldSize)
                .addAllTensors(layout.tensors());
    }

    /**
     * Commits a step: writes its manifest once {@code reports} hold exactly one consistent report
     * per rank, then applies retention (whose failure is logged, never undoing the commit).
     *
     * @param draft the manifest without what commit fills in: set run id, step, world size, tensors,
     *              progress, optimizer, run config and the ring generation that saved it; format version,
     *              state bytes, shards and creation time are set here
     * @return the manifest as written
     * @throws CommitFencedException if the run's newest checkpoint comes from a newer ring generation than the draft
     *                               (another coordinator has taken the run over)
     */
    public CheckpointManifest commit(CheckpointManifest draft, List<ShardReport> reports) {
        CommitFence.check(store, catalog, draft);
        CheckpointManifest manifest = CheckpointCommit.write(store,
                CheckpointCommit.build(draft, reports, System.currentTimeMillis()));
        LOG.info("committed run {} step {} ({} bytes, {} shards) at {}", manifest.getRunId(), manifest.getStep(),
                manifest.getStateBytes(), manifest.getWorldSize(),
                store.locate(CheckpointKeys.manifest(manifest.getRunId(), manifest.getStep())));
        try {
            prune(manifest.getRunId());
        } catch (CheckpointException e) {
            LOG.warn("retention after committing run {} step {} failed; old checkpoints stay until the next commit: {}",
                    manifest.getRunId(), manifest.getStep(), e.getMessage());
        }
        return manifest;
    }

    /**
     * The ring generation that saved the run's newest checkpoint; empty if it has none or it records none. A
     * coordinator numbers its generations above it, so that its commits are not fenced (see {@link #commit}).
     */
    public OptionalLong newestRingGeneration(String run) {
        return CommitFence.newestGeneration(store, catalog, run);
    }

    /**
     * Records that {@code run} finished after {@code steps} steps ({@code <run>/COMPLETED}, replacing an older record):
     * a coordinator that starts again with resume = auto does not train it again.
     */
    public void recordCompletion(String run, long steps) {
        RunCompletions.write(store, run, steps, System.currentTimeMillis());
        LOG.info("recorded run {} as finished after {} steps at {}", run, steps, store.locate(RunCompletions.key(run)));
    }

    /**
     * The record that {@code run} finished, if it did.
     *
     * @throws CheckpointException if the record is there but unreadable (saying where, and that deleting it trains the run again)
     */
    public Optional<RunCompletion> completion(String run) {
        return RunCompletions.read(store, run);
    }

    /**
     * The newest checkpoint of {@code run} whose manifest is valid and whose shards are all present
     * with the recorded sizes. Newer ones that fail are skipped with a warning saying why.
     */
    public Optional<CheckpointManifest> latest(String run) {
        for (CheckpointCatalog.StepObjects step : catalog.committedNewestFirst(run)) {
            try {
                return Optional.of(catalog.check(step));
            } catch (CheckpointException e) {
                LOG.warn("skipping checkpoint run {} step {}, falling back to an older one: {}", run, step.step(), e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * Like {@link #latest}, but also re-reads every shard and checks its CRC32C, so a checkpoint with a corrupt
     * shard is skipped too (with a warning saying which shard and why). Costs one full read of the checkpoint;
     * meant for choosing where a resumed run starts, when every rank is about to read it anyway.
     */
    public Optional<CheckpointManifest> latestVerified(String run) {
        for (CheckpointCatalog.StepObjects step : catalog.committedNewestFirst(run)) {
            try {
                CheckpointManifest manifest = catalog.check(step);
                VerifyReport report = verify(manifest);
                if (report.passed()) {
                    return Optional.of(manifest);
                }
                LOG.warn("skipping checkpoint run {} step {}, falling back to an older one: {}", run, step.step(),
                        report.toText().strip().replace('\n', ';'));
            } catch (CheckpointException e) {
                LOG.warn("skipping checkpoint run {} step {}, falling back to an older one: {}", run, step.step(), e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * Restores the newest checkpoint of {@code run} that restores cleanly into {@code dst} (from its
     * position, which is advanced): a checkpoint whose shards turn out corrupt while reading is
     * skipped with a warning and the next older one is tried. Empty when none restores.
     */
    public Optional<CheckpointManifest> restoreLatest(String run, ByteBuffer dst) {
        int start = dst.position();
        for (CheckpointCatalog.StepObjects step : catalog.committedNewestFirst(run)) {
            try {
                CheckpointManifest manifest = catalog.check(step);
                dst.position(start);
                restore(manifest, dst);
                return Optional.of(manifest);
            } catch (CheckpointException e) {
                LOG.warn("skipping checkpoint run {} step {}, falling back to an older one: {}", run, step.step(), e.getMessage());
            }
        }
        dst.position(start);
        return Optional.empty();
    }

    /** The manifest of one step, checked like {@link #latest}; fails saying what is wrong. */
    public CheckpointManifest manifest(String run, long step) {
        return catalog.steps(run).stream().filter(s -> s.step() == step).findFirst()
                .map(catalog::check)
                .orElseThrow(() -> new CheckpointException("no checkpoint of run " + run + " at step " + step + " in "
                        + store.uri() + " (nothing under " + store.locate(CheckpointKeys.stepDirectory(run, step)) + ")"));
    }

    /** Restores the whole state into a new direct buffer (position 0, limit = state size). */
    public ByteBuffer restore(CheckpointManifest manifest) {
        if (manifest.getStateBytes() > Integer.MAX_VALUE) {
            throw new CheckpointException("state of " + manifest.getStateBytes() + " bytes exceeds one buffer; restore ranges");
        }
        ByteBuffer state = ByteBuffer.allocateDirect((int) manifest.getStateBytes());
        restore(manifest, state);
        return state.flip();
    }

    /** Restores the whole state into {@code dst} from its position, advancing it; every shard's CRC32C is checked. */
    public void restore(CheckpointManifest manifest, ByteBuffer dst) {
        restoreRange(manifest, new ByteRange(0, manifest.getStateBytes()), dst);
    }

    /**
     * Restores bytes {@code range} of the state into {@code dst} from its position, advancing it.
     * Shards inside the range are checked against their CRC32C; shards only partly inside are not
     * (run {@link #verify} for a full check).
     *
     * @return the number of shards that were read whole and verified
     */
    public int restoreRange(CheckpointManifest manifest, ByteRange range, ByteBuffer dst) {
        return new StateReader(store, readers, context.readChunkBytes()).read(manifest, range, dst);
    }

    /** Restores the range that rank {@code rank} of {@code worldSize} owns under {@link ShardSplit}. */
    public int restoreShard(CheckpointManifest manifest, int rank, int worldSize, ByteBuffer dst) {
        return restoreRange(manifest, ShardSplit.range(manifest.getStateBytes(), worldSize, rank), dst);
    }

    /** Applies retention to {@code run} (see {@link Retention}); {@link #commit} already does this. */
    public PruneResult prune(String run) {
        return new Retention(store).prune(run, context.keep());
    }

    /** Re-reads every shard and checks sizes and checksums. */
    public VerifyReport verify(CheckpointManifest manifest) {
        return new Verification(store, readers, context.readChunkBytes()).verify(manifest);
    }

    CheckpointCatalog catalog() {
        return catalog;
    }

    @Override
    public void close() {
        readers.shutdownNow();
        store.close();
    }
}
