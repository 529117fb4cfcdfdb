package io.ringtrain.checkpoint;

/** What {@link ShardWriter#saveShardAsync} does when this rank's previous save is still uploading. */
public enum SavePolicy {
    /** Block the caller until the previous save finishes, then snapshot and start the new one. */
    WAIT,
    /** Return at once with a future failed by {@link SaveSkippedException}; training is never stalled. */
    SKIP
}
