package io.ringtrain.checkpoint;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what is no longer needed, and nothing else:
 * <ul>
 * <li>committed checkpoints older than the newest {@code keep} valid ones (the newest valid one is
 * always kept; invalid ones newer than that are left for diagnosis);</li>
 * <li>steps without a manifest that are older than the newest valid checkpoint: their save was
 * interrupted. Steps newer than it are never touched: their save may still be running.</li>
 * </ul>
 * A checkpoint's manifest is deleted before its shards, so a crash half-way leaves an uncommitted
 * step (removed next time), never a manifest pointing at missing shards.
 */
final class Retention {
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private final CheckpointStore store;
    private final CheckpointCatalog catalog;

    Retention(CheckpointStore store) {
        this.store = store;
        this.catalog = new CheckpointCatalog(store);
    }

    PruneResult prune(String run, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("retention must keep at least 1 checkpoint, got " + keep);
        }
        List<CheckpointCatalog.StepObjects> steps = catalog.steps(run);
        List<Long> kept = new ArrayList<>();
        List<Long> deletedCheckpoints = new ArrayList<>();
        List<Long> deletedIncomplete = new ArrayList<>();
        long newestValid = -1;
        for (int i = steps.size() - 1; i >= 0; i--) {
            CheckpointCatalog.StepObjects step = steps.get(i);
            if (!step.committed()) {
                continue;
            }
            if (kept.size() >= keep) {
                deleteStep(step, true);
                deletedCheckpoints.add(step.step());
                continue;
            }
            try {
                catalog.check(step);
                kept.add(step.step());
                newestValid = Math.max(newestValid, step.step());
            } catch (CheckpointException e) {
                LOG.warn("retention leaves invalid checkpoint of run {} step {} in place (not counted as kept): {}",
                        run, step.step(), e.getMessage());
            }
        }
        for (CheckpointCatalog.StepObjects step : steps) {
            if (!step.committed() && step.step() < newestValid) {
                deleteStep(step, false);
                deletedIncomplete.add(step.step());
            }
        }
        if (!deletedCheckpoints.isEmpty() || !deletedIncomplete.isEmpty()) {
            LOG.info("retention for run {} in {}: kept steps {}, deleted checkpoints {}, deleted incomplete steps {}",
                    run, store.uri(), kept, deletedCheckpoints, deletedIncomplete);
        }
        return new PruneResult(List.copyOf(kept), List.copyOf(deletedCheckpoints), List.copyOf(deletedIncomplete));
    }

    private void deleteStep(CheckpointCatalog.StepObjects step, boolean committed) {
        String dir = CheckpointKeys.stepDirectory(step.run(), step.step());
        if (committed) {
            store.delete(dir + "/" + CheckpointKeys.MANIFEST);
        }
        for (String name : step.objects().keySet()) {
            if (!name.equals(CheckpointKeys.MANIFEST)) {
                store.delete(dir + "/" + name);
            }
        }
    }
}
