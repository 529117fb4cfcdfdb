package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import io.ringtrain.protocol.checkpoint.ShardReport;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Turns a manifest draft plus every rank's shard report into a manifest and writes it: the step's
 * commit point. Nothing is written unless the reports are complete and agree with each other and
 * with the objects in the store.
 */
final class CheckpointCommit {
    private CheckpointCommit() {
    }

    static CheckpointManifest build(CheckpointManifest draft, List<ShardReport> reports, long createdAtUnixMs) {
        String run = CheckpointKeys.checkRun(draft.getRunId());
        long step = draft.getStep();
        int n = draft.getWorldSize();
        String what = "commit of run " + run + " step " + step;
        if (step < 0 || n < 1) {
            throw new CheckpointException(what + ": the draft needs step >= 0 and world size >= 1, got world size " + n);
        }
        long stateBytes = StateLayout.fromEntries(draft.getTensorsList()).totalBytes();
        ShardReport[] byRank = new ShardReport[n];
        for (ShardReport report : reports) {
            String from = what + ": report from rank " + report.getRank();
            if (!report.getRunId().equals(run) || report.getStep() != step || report.getWorldSize() != n) {
                throw new CheckpointException(from + " is for run " + report.getRunId() + " step " + report.getStep()
                        + " world size " + report.getWorldSize() + ", expected run " + run + " step " + step + " world size " + n);
            }
            if (report.getRank() < 0 || report.getRank() >= n) {
                throw new CheckpointException(from + " names a rank outside [0, " + n + ")");
            }
            if (byRank[report.getRank()] != null) {
                throw new CheckpointException(from + " arrived twice");
            }
            if (report.getStateBytes() != stateBytes) {
                throw new CheckpointException(from + " saved a state of " + report.getStateBytes()
                        + " bytes but the draft's tensors add up to " + stateBytes);
            }
            byRank[report.getRank()] = report;
        }
        TreeSet<Integer> missing = new TreeSet<>();
        for (int rank = 0; rank < n; rank++) {
            if (byRank[rank] == null) {
                missing.add(rank);
            }
        }
        if (!missing.isEmpty()) {
            throw new CheckpointException(what + ": have " + (n - missing.size()) + " of " + n
                    + " shard reports; missing ranks " + missing + ". Commit only after every rank's save completed");
        }
        List<ShardEntry> shards = new ArrayList<>(n);
        long offset = 0;
        for (ShardReport report : byRank) {
            if (report.getByteOffset() != offset || !report.getObjectName().equals(CheckpointKeys.shardName(report.getRank(), n))) {
                throw new CheckpointException(what + ": rank " + report.getRank() + " saved [" + report.getByteOffset() + ", "
                        + (report.getByteOffset() + report.getByteLength()) + ") as '" + report.getObjectName()
                        + "' but shards must tile the state in rank order starting at " + offset);
            }
            offset += report.getByteLength();
            shards.add(ShardEntry.newBuilder().setRank(report.getRank()).setObjectName(report.getObjectName())
                    .setByteOffset(report.getByteOffset()).setByteLength(report.getByteLength()).setCrc32C(report.getCrc32C()).build());
        }
        if (offset != stateBytes) {
            throw new CheckpointException(what + ": shards cover " + offset + " bytes but the state is " + stateBytes + " bytes");
        }
        CheckpointManifest manifest = draft.toBuilder()
                .setFormatVersion(ManifestFormat.CURRENT_VERSION).setStateBytes(stateBytes)
                .clearShards().addAllShards(shards).setCreatedAtUnixMs(createdAtUnixMs).build();
        ManifestFormat.validate(manifest, what);
        return manifest;
    }

    /**
     * Writes {@code manifest} after checking that every shard it names is in the store with the
     * reported size. Re-committing the same shards is a no-op; a different commit of an already
     * committed step is refused, so a committed checkpoint is never replaced.
     */
    static CheckpointManifest write(CheckpointStore store, CheckpointManifest manifest) {
        String run = manifest.getRunId();
        long step = manifest.getStep();
        String stepDir = CheckpointKeys.stepDirectory(run, step);
        for (ShardEntry shard : manifest.getShardsList()) {
            String key = stepDir + "/" + shard.getObjectName();
            OptionalLong size = store.size(key);
            if (size.isEmpty() || size.getAsLong() != shard.getByteLength()) {
                throw new CheckpointException("commit of run " + run + " step " + step + ": shard " + store.locate(key)
                        + (size.isEmpty() ? " is missing" : " is " + size.getAsLong() + " bytes")
                        + " but rank " + shard.getRank() + " reported " + shard.getByteLength() + " bytes; not committing");
            }
        }
        String manifestKey = CheckpointKeys.manifest(run, step);
        if (store.size(manifestKey).isPresent()) {
            CheckpointManifest existing = ManifestFormat.parse(store.readAll(manifestKey), store.locate(manifestKey));
            if (existing.getShardsList().equals(manifest.getShardsList()) && existing.getTensorsList().equals(manifest.getTensorsList())) {
                return existing;
            }
            throw new CheckpointException(store.locate(manifestKey) + " already commits step " + step
                    + " with different shards; refusing to replace a committed checkpoint");
        }
        store.put(manifestKey, ManifestFormat.encode(manifest));
        return manifest;
    }
}
