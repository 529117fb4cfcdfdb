package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.zip.CRC32C;

/** Re-reads every shard of a checkpoint in bounded memory (one chunk per shard at a time) and checks size and CRC32C. */
final class Verification {
    private final CheckpointStore store;
    private final ExecutorService readers;
    private final int chunkBytes;

    Verification(CheckpointStore store, ExecutorService readers, int chunkBytes) {
        this.store = store;
        this.readers = readers;
        this.chunkBytes = chunkBytes;
    }

    VerifyReport verify(CheckpointManifest manifest) {
        String stepDir = CheckpointKeys.stepDirectory(manifest.getRunId(), manifest.getStep());
        List<CompletableFuture<VerifyReport.ShardCheck>> checks = new ArrayList<>();
        for (ShardEntry shard : manifest.getShardsList()) {
            checks.add(CompletableFuture.supplyAsync(() -> check(stepDir + "/" + shard.getObjectName(), shard), readers));
        }
        List<VerifyReport.ShardCheck> shards = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (CompletableFuture<VerifyReport.ShardCheck> check : checks) {
            VerifyReport.ShardCheck result = check.join();
            shards.add(result);
            if (!result.ok()) {
                problems.add(result.problem());
            }
        }
        return new VerifyReport(store.locate(stepDir), shards, problems);
    }

    private VerifyReport.ShardCheck check(String key, ShardEntry shard) {
        String uri = store.locate(key);
        String expectedCrc = StateReader.hex(shard.getCrc32C());
        OptionalLong size;
        try {
            size = store.size(key);
        } catch (CheckpointException e) {
            return new VerifyReport.ShardCheck(shard.getRank(), uri, shard.getByteLength(), -1, expectedCrc, "-", e.getMessage());
        }
        if (size.isEmpty()) {
            return new VerifyReport.ShardCheck(shard.getRank(), uri, shard.getByteLength(), -1, expectedCrc, "-",
                    "shard " + uri + " (rank " + shard.getRank() + ") is missing");
        }
        long actualBytes = size.getAsLong();
        if (actualBytes != shard.getByteLength()) {
            return new VerifyReport.ShardCheck(shard.getRank(), uri, shard.getByteLength(), actualBytes, expectedCrc, "-",
                    "shard " + uri + " is " + actualBytes + " bytes but the manifest says " + shard.getByteLength()
                            + (actualBytes < shard.getByteLength() ? " (truncated)" : ""));
        }
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(chunkBytes, Math.max(1, actualBytes)));
        try {
            for (long offset = 0; offset < actualBytes; offset += chunk.capacity()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), actualBytes - offset));
                store.read(key, offset, chunk);
                crc.update(chunk.flip());
            }
        } catch (CheckpointException e) {
            return new VerifyReport.ShardCheck(shard.getRank(), uri, shard.getByteLength(), actualBytes, expectedCrc, "-", e.getMessage());
        }
        String actualCrc = StateReader.hex((int) crc.getValue());
        String problem = actualCrc.equals(expectedCrc) ? null
                : "shard " + uri + " is corrupt: its bytes have crc32c " + actualCrc + " but the manifest says " + expectedCrc;
        return new VerifyReport.ShardCheck(shard.getRank(), uri, shard.getByteLength(), actualBytes, expectedCrc, actualCrc, problem);
    }
}
