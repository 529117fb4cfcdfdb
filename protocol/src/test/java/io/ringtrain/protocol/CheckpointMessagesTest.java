package io.ringtrain.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.Optimizer;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.checkpoint.TensorEntry;
import io.ringtrain.protocol.checkpoint.TrainingProgress;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import org.junit.jupiter.api.Test;

class CheckpointMessagesTest {
    @Test
    void manifestSurvivesTheWireIncludingUnsignedChecksums() throws Exception {
        CheckpointManifest manifest = CheckpointManifest.newBuilder()
                .setFormatVersion(1).setRunId("run").setStep(1200).setWorldSize(1).setStateBytes(16)
                .addTensors(TensorEntry.newBuilder().setByteLength(16)
                        .setSpec(TensorSpec.newBuilder().setName("w").setDtype(Dtype.DTYPE_FLOAT32).addShape(4)))
                .addShards(ShardEntry.newBuilder().setRank(0).setObjectName("shard-0-of-1.bin").setByteLength(16).setCrc32C(0xF00DCAFE))
                .setProgress(TrainingProgress.newBuilder().setEpoch(3).setSamplesConsumed(307_200).addRngSeeds(-7))
                .setOptimizer(Optimizer.newBuilder().setName("sgd").putHyperParameters("lr", 0.1))
                .putRunConfig("model", "mlp").setCreatedAtUnixMs(1_700_000_000_000L)
                .build();

        CheckpointManifest decoded = CheckpointManifest.parseFrom(manifest.toByteArray());

        assertEquals(manifest, decoded);
        assertEquals(0xF00DCAFEL, Integer.toUnsignedLong(decoded.getShards(0).getCrc32C()));
    }

    @Test
    void shardReportSurvivesTheWire() throws Exception {
        ShardReport report = ShardReport.newBuilder().setRunId("run").setStep(5).setRank(2).setWorldSize(4)
                .setStateBytes(100).setByteOffset(50).setByteLength(25).setCrc32C(-1).setObjectName("shard-2-of-4.bin").build();
        assertEquals(report, ShardReport.parseFrom(report.toByteArray()));
    }
}
