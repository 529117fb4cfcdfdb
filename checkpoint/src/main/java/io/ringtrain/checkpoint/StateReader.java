package io.ringtrain.checkpoint;

import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.zip.CRC32C;

/**
 * Reads any byte range of a checkpoint's flattened state, whatever world size saved it: the range
 * is cut along shard boundaries and into chunks, which are read in parallel straight into the
 * destination. A shard read whole is checked against its CRC32C; a shard read only in part cannot
 * be (the checksum covers the whole shard), which is what {@link CheckpointTools#verify} is for.
 */
final class StateReader {
    private final CheckpointStore store;
    private final ExecutorService readers;
    private final int chunkBytes;

    StateReader(CheckpointStore store, ExecutorService readers, int chunkBytes) {
        this.store = store;
        this.readers = readers;
        this.chunkBytes = chunkBytes;
    }

    /**
     * Fills {@code dst} from its position with bytes {@code range} of the state and advances its
     * position by the range's length.
     *
     * @return how many shards were read whole and verified
     */
    int read(CheckpointManifest manifest, ByteRange range, ByteBuffer dst) {
        String stepDir = CheckpointKeys.stepDirectory(manifest.getRunId(), manifest.getStep());
        if (range.end() > manifest.getStateBytes()) {
            throw new CheckpointException("range " + range + " lies outside the " + manifest.getStateBytes()
                    + "-byte state of " + store.locate(stepDir));
        }
        if (dst.remaining() < range.length()) {
            throw new CheckpointException("destination buffer has " + dst.remaining() + " bytes left but range " + range
                    + " of " + store.locate(stepDir) + " needs " + range.length());
        }
        int base = dst.position();
        List<CompletableFuture<Void>> shardReads = new ArrayList<>();
        int verified = 0;
        for (ShardEntry shard : manifest.getShardsList()) {
            ByteRange shardRange = new ByteRange(shard.getByteOffset(), shard.getByteLength());
            ByteRange overlap = shardRange.intersect(range);
            if (overlap.length() == 0) {
                continue;
            }
            String key = stepDir + "/" + shard.getObjectName();
            checkSize(key, shard);
            ByteBuffer target = dst.duplicate();
            int targetStart = base + (int) (overlap.offset() - range.offset());
            List<CompletableFuture<Void>> chunks = new ArrayList<>();
            for (long done = 0; done < overlap.length(); done += chunkBytes) {
                long offsetInShard = overlap.offset() - shard.getByteOffset() + done;
                int length = (int) Math.min(chunkBytes, overlap.length() - done);
                ByteBuffer slice = target.duplicate().position(targetStart + (int) done).limit(targetStart + (int) done + length).slice();
                chunks.add(CompletableFuture.runAsync(() -> store.read(key, offsetInShard, slice), readers));
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(chunks.toArray(CompletableFuture[]::new));
            if (overlap.equals(shardRange)) {
                ByteBuffer whole = target.duplicate().position(targetStart).limit(targetStart + (int) overlap.length()).slice();
                all = all.thenRunAsync(() -> verify(key, shard, whole), readers);
                verified++;
            }
            shardReads.add(all);
        }
        try {
            CompletableFuture.allOf(shardReads.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof CheckpointException c ? c : new CheckpointException(
                    "restore of " + store.locate(stepDir) + " failed: " + e.getCause(), e.getCause());
        }
        dst.position(base + (int) range.length());
        return verified;
    }

    private void checkSize(String key, ShardEntry shard) {
        OptionalLong size = store.size(key);
        if (size.isEmpty()) {
            throw new CheckpointException("shard " + store.locate(key) + " (rank " + shard.getRank() + ") is missing");
        }
        if (size.getAsLong() != shard.getByteLength()) {
            throw new CheckpointException("shard " + store.locate(key) + " is " + size.getAsLong() + " bytes but the manifest says "
                    + shard.getByteLength() + (size.getAsLong() < shard.getByteLength() ? " (truncated)" : ""));
        }
    }

    private void verify(String key, ShardEntry shard, ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        int actual = (int) crc.getValue();
        if (actual != shard.getCrc32C()) {
            throw new CheckpointException("shard " + store.locate(key) + " is corrupt: its bytes have crc32c "
                    + hex(actual) + " but the manifest says " + hex(shard.getCrc32C()) + "; restore an older checkpoint");
        }
    }

    static String hex(int crc) {
        return String.format("%08x", crc);
    }
}
