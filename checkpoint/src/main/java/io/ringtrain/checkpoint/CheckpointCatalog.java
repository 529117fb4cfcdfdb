package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** What a store holds: runs, their step directories and the objects in each; and whether a step is a valid checkpoint. */
final class CheckpointCatalog {
    private final CheckpointStore store;

    CheckpointCatalog(CheckpointStore store) {
        this.store = store;
    }

    /** One step directory's objects, by name, with their sizes. */
    record StepObjects(String run, long step, Map<String, Long> objects) {
        boolean committed() {
            return objects.containsKey(CheckpointKeys.MANIFEST);
        }
    }

    /** Runs under the root: top-level names that contain step directories. */
    List<String> runs() {
        TreeSet<String> runs = new TreeSet<>();
        for (StoredObject object : store.list("")) {
            CheckpointKeys.parse(object.key()).ifPresent(parsed -> runs.add(parsed.run()));
        }
        return new ArrayList<>(runs);
    }

    /** Step directories of {@code run}, oldest first. */
    List<StepObjects> steps(String run) {
        CheckpointKeys.checkRun(run);
        Map<Long, Map<String, Long>> byStep = new TreeMap<>();
        for (StoredObject object : store.list(run + "/")) {
            CheckpointKeys.parse(object.key()).filter(parsed -> parsed.run().equals(run)).ifPresent(parsed ->
                    byStep.computeIfAbsent(parsed.step(), s -> new TreeMap<>()).put(parsed.name(), object.size()));
        }
        List<StepObjects> steps = new ArrayList<>();
        byStep.forEach((step, objects) -> steps.add(new StepObjects(run, step, Collections.unmodifiableMap(objects))));
        return steps;
    }

    /** Committed steps of {@code run}, newest first. */
    List<StepObjects> committedNewestFirst(String run) {
        List<StepObjects> committed = new ArrayList<>();
        for (StepObjects step : steps(run)) {
            if (step.committed()) {
                committed.add(0, step);
            }
        }
        return committed;
    }

    /**
     * Loads a step's manifest and checks it against the objects present: every shard it names
     * exists with the size it records, and no shard of another world size stands in for them.
     *
     * @throws CheckpointException saying exactly what is wrong and where
     */
    CheckpointManifest check(StepObjects step) {
        String manifestKey = CheckpointKeys.manifest(step.run(), step.step());
        String where = store.locate(manifestKey);
        if (!step.committed()) {
            throw new CheckpointException(where + " does not exist: step " + step.step() + " of run " + step.run()
                    + " was never committed (its save was interrupted or is still running)");
        }
        CheckpointManifest manifest = ManifestFormat.parse(store.readAll(manifestKey), where);
        if (!manifest.getRunId().equals(step.run()) || manifest.getStep() != step.step()) {
            throw new CheckpointException(where + " describes run " + manifest.getRunId() + " step " + manifest.getStep()
                    + ", not run " + step.run() + " step " + step.step() + ": it was copied or renamed by hand");
        }
        List<String> problems = new ArrayList<>();
        for (ShardEntry shard : manifest.getShardsList()) {
            Long size = step.objects().get(shard.getObjectName());
            String shardUri = store.locate(CheckpointKeys.stepDirectory(step.run(), step.step()) + "/" + shard.getObjectName());
            if (size == null) {
                problems.add("shard " + shardUri + " is missing");
            } else if (size != shard.getByteLength()) {
                problems.add("shard " + shardUri + " is " + size + " bytes, manifest expects " + shard.getByteLength()
                        + (size < shard.getByteLength() ? " (truncated)" : ""));
            }
        }
        if (!problems.isEmpty()) {
            List<String> otherShards = new ArrayList<>();
            step.objects().keySet().forEach(name -> CheckpointKeys.shardWorldSize(name)
                    .filter(n -> n != manifest.getWorldSize()).ifPresent(n -> otherShards.add(name)));
            String hint = otherShards.isEmpty() ? "" : "; the step holds shards of another world size " + otherShards
                    + " than the manifest's " + manifest.getWorldSize();
            throw new CheckpointException(where + " (world size " + manifest.getWorldSize() + ") is not restorable: "
                    + String.join("; ", problems) + hint);
        }
        return manifest;
    }
}
