package io.ringtrain.checkpoint;

/** An object in a {@link CheckpointStore}: its key relative to the store's root, and its size. */
public record StoredObject(String key, long size) {
}
