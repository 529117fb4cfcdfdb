package io.ringtrain.worker;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardReport;

/**
 * One rank's durable checkpoint shard, as the coordinator needs it to commit the step.
 *
 * @param report what the checkpoint library's {@code ShardWriter} reported for this rank's shard
 * @param draft  the manifest without its shards, as {@code Checkpoints.draft(run, step, worldSize, layout)}
 *               builds it (plus progress, optimizer and run config); the same on every rank
 */
public record SavedShard(ShardReport report, CheckpointManifest draft) {

    public SavedShard {
        if (report == null || draft == null) {
            throw new IllegalArgumentException("a saved shard needs its report and the manifest draft");
        }
        if (draft.getStep() != report.getStep() || draft.getWorldSize() != report.getWorldSize()
                || !draft.getRunId().equals(report.getRunId())) {
            throw new IllegalArgumentException("the shard report (run " + report.getRunId() + ", step " + report.getStep()
                    + ", world size " + report.getWorldSize() + ") and its manifest draft (run " + draft.getRunId() + ", step "
                    + draft.getStep() + ", world size " + draft.getWorldSize() + ") describe different checkpoints");
        }
    }

    public long step() {
        return report.getStep();
    }

    public int rank() {
        return report.getRank();
    }

    public int worldSize() {
        return report.getWorldSize();
    }

    public long sizeBytes() {
        return report.getByteLength();
    }
}
