package io.ringtrain.allreduce;

/**
 * One bucket of a {@link FusionPlan}: tensors {@code firstTensor..lastTensor} (inclusive, by index), which lie
 * back to back in bytes {@code [byteOffset, byteOffset + byteLength)} of the plan's buffer and are all-reduced
 * together in place. Bucket 0 holds the last tensors, because backward produces those first.
 */
public record FusionBucket(int index, int firstTensor, int lastTensor, int byteOffset, int byteLength) {

    public int tensorCount() {
        return lastTensor - firstTensor + 1;
    }
}
