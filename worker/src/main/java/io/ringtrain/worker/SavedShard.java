package io.ringtrain.worker;

/**
 * One rank's durable checkpoint shard, as reported to the coordinator.
 *
 * @param detail opaque to the control plane: whatever the checkpoint store needs from this rank to
 *               commit the manifest (may be empty). Not copied; do not modify after handing it over.
 */
public record SavedShard(long step, int rank, int worldSize, long sizeBytes, int crc32c, byte[] detail) {

    public SavedShard {
        if (detail == null) {
            detail = new byte[0];
        }
    }
}
