package io.ringtrain.checkpoint;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import java.nio.ByteBuffer;

/**
 * Reads and checks manifests. A manifest is trusted only after {@link #validate}: protobuf parses
 * most byte strings, so "it parsed" says little; the checks below catch garbage, truncation and
 * manifests that contradict themselves.
 */
public final class ManifestFormat {
    /** The manifest format this code writes and the newest it reads. */
    public static final int CURRENT_VERSION = 1;

    private ManifestFormat() {
    }

    /**
     * Parses and validates manifest bytes.
     *
     * @param where the manifest's URI, for messages
     */
    public static CheckpointManifest parse(ByteBuffer bytes, String where) {
        CheckpointManifest manifest;
        try {
            manifest = CheckpointManifest.parseFrom(bytes.duplicate());
        } catch (InvalidProtocolBufferException e) {
            throw new CheckpointException(where + " does not parse as a checkpoint manifest (" + e.getMessage()
                    + "): it is corrupt or not a manifest", e);
        }
        validate(manifest, where);
        return manifest;
    }

    static ByteBuffer encode(CheckpointManifest manifest) {
        return ByteBuffer.wrap(manifest.toByteArray());
    }

    /** Checks that a manifest is complete and self-consistent; the message says what is wrong. */
    public static void validate(CheckpointManifest m, String where) {
        if (m.getFormatVersion() == 0) {
            throw new CheckpointException(where + " is not a checkpoint manifest (it has no format version): it is corrupt");
        }
        if (m.getFormatVersion() > CURRENT_VERSION) {
            throw new CheckpointException(where + " has manifest format version " + m.getFormatVersion()
                    + " but this ringtrain reads versions up to " + CURRENT_VERSION
                    + ": it was written by a newer ringtrain; upgrade to restore it");
        }
        if (m.getRunId().isEmpty() || m.getStep() < 0 || m.getWorldSize() < 1 || m.getStateBytes() < 0) {
            throw new CheckpointException(where + " is incomplete: run id '" + m.getRunId() + "', step " + m.getStep()
                    + ", world size " + m.getWorldSize() + ", state bytes " + m.getStateBytes());
        }
        if (m.getShardsCount() != m.getWorldSize()) {
            throw new CheckpointException(where + " names world size " + m.getWorldSize() + " but lists "
                    + m.getShardsCount() + " shard(s): every rank must have exactly one shard");
        }
        long offset = 0;
        for (int rank = 0; rank < m.getShardsCount(); rank++) {
            ShardEntry shard = m.getShards(rank);
            String expectedName = CheckpointKeys.shardName(rank, m.getWorldSize());
            if (shard.getRank() != rank || !shard.getObjectName().equals(expectedName)) {
                throw new CheckpointException(where + " lists shard " + rank + " as rank " + shard.getRank() + " in '"
                        + shard.getObjectName() + "'; expected rank " + rank + " in '" + expectedName + "'");
            }
            if (shard.getByteOffset() != offset || shard.getByteLength() < 0) {
                throw new CheckpointException(where + ": shard " + rank + " covers [" + shard.getByteOffset() + ", "
                        + (shard.getByteOffset() + shard.getByteLength()) + ") but should start at " + offset
                        + ": shard ranges must tile the state in rank order");
            }
            try {
                offset = Math.addExact(offset, shard.getByteLength());
            } catch (ArithmeticException e) {
                // Found by ManifestFuzzTest's invariant: lengths that wrap round 2^64 could add up to any state size.
                throw new CheckpointException(where + ": shard " + rank + " ends beyond 2^63 bytes ("
                        + shard.getByteOffset() + " + " + shard.getByteLength() + "): it is corrupt");
            }
        }
        if (offset != m.getStateBytes()) {
            throw new CheckpointException(where + ": shards cover " + offset + " bytes but the state is "
                    + m.getStateBytes() + " bytes");
        }
        StateLayout layout;
        try {
            layout = StateLayout.fromEntries(m.getTensorsList());
        } catch (CheckpointException | ArithmeticException e) {
            throw new CheckpointException(where + " has an invalid tensor layout: " + e.getMessage(), e);
        }
        if (layout.totalBytes() != m.getStateBytes()) {
            throw new CheckpointException(where + ": tensors cover " + layout.totalBytes() + " bytes but the state is "
                    + m.getStateBytes() + " bytes");
        }
    }
}
