package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fencing of manifest commits by ring generation. Generations only grow within a run (a coordinator that takes over
 * numbers above every generation it hears of, the newest checkpoint's included), so a commit whose generation is
 * older than the run's newest checkpoint's comes from a coordinator that was replaced, for example one cut off by a
 * network partition while the majority went on. Such a commit is refused.
 *
 * <p>The check reads the newest manifest before the commit writes its own; object stores offer no compare-and-set
 * across keys, so two coordinators committing within the same few milliseconds are not told apart. The split brain
 * resolver downs a cut-off coordinator first; this fence is what holds when it comes back before it learns that.
 * Manifests without a generation (0: written before generations were recorded) fence nothing.
 */
final class CommitFence {
    private static final Logger LOG = LoggerFactory.getLogger(CommitFence.class);

    private CommitFence() {
    }

    /** The ring generation of the run's newest readable manifest; empty if it has none (or records none). */
    static OptionalLong newestGeneration(CheckpointStore store, CheckpointCatalog catalog, String run) {
        for (CheckpointCatalog.StepObjects step : catalog.committedNewestFirst(run)) {
            String key = CheckpointKeys.manifest(run, step.step());
            try {
                long generation = ManifestFormat.parse(store.readAll(key), store.locate(key)).getRingGeneration();
                return generation > 0 ? OptionalLong.of(generation) : OptionalLong.empty();
            } catch (CheckpointException unreadable) {
                LOG.warn("reading the ring generation of {}: {}; looking at the checkpoint before it", store.locate(key), unreadable.getMessage());
            }
        }
        return OptionalLong.empty();
    }

    /** @throws CommitFencedException if the run's newest checkpoint comes from a newer generation than {@code draft} */
    static void check(CheckpointStore store, CheckpointCatalog catalog, CheckpointManifest draft) {
        long generation = draft.getRingGeneration();
        if (generation == 0) {
            return;
        }
        OptionalLong newest = newestGeneration(store, catalog, draft.getRunId());
        if (newest.isPresent() && newest.getAsLong() > generation) {
            throw new CommitFencedException("not committing run " + draft.getRunId() + " step " + draft.getStep() + " of ring generation "
                    + generation + ": the run's newest checkpoint is from ring generation " + newest.getAsLong()
                    + ", so another coordinator has taken the run over since (this one was cut off or replaced)", newest.getAsLong());
        }
    }
}
