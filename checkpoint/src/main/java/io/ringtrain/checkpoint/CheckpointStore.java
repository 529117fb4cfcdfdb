package io.ringtrain.checkpoint;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where checkpoints live: a flat namespace of objects addressed by '/'-separated keys relative to
 * a root URI. Two implementations: {@link DirectoryStore} (a local directory) and {@link S3Store}
 * (any S3-compatible object store). Implementations are thread-safe.
 */
public interface CheckpointStore extends AutoCloseable {

    /**
     * Opens the store a URI names, checking at once that it is usable (directory writable, bucket
     * present and reachable), so a bad location fails before training starts.
     *
     * @param uri {@code file:///absolute/path}, a plain path, or
     *            {@code s3://bucket/prefix[?endpoint=http://host:port&region=name]}
     * @throws CheckpointException naming the URI and the problem
     */
    static CheckpointStore open(String uri) {
        StoreUri location = StoreUri.parse(uri);
        return location.isS3() ? S3Store.open(new S3StoreContext().location(location)) : DirectoryStore.open(location);
    }

    /**
     * Opens an existing store for reading (ls, inspect, verify): a directory must already exist and
     * is neither created nor written to.
     */
    static CheckpointStore openExisting(String uri) {
        StoreUri location = StoreUri.parse(uri);
        return location.isS3() ? S3Store.open(new S3StoreContext().location(location))
                : DirectoryStore.openExisting(Path.of(location.path()));
    }

    /** The root URI, as the user would type it again (no credentials). */
    String uri();

    /** Where {@code key} lives, for messages: the root joined with the key (without S3 settings such as the endpoint). */
    default String locate(String key) {
        return StoreUri.parse(uri()).child(key).withoutQuery();
    }

    /**
     * Writes {@code data} (position to limit; the buffer's position is left unchanged) as object
     * {@code key}, replacing any object with that key. Atomic and durable on return: a reader sees
     * either the previous state or all of the new bytes, never part of them, even if this process dies.
     */
    void put(String key, ByteBuffer data);

    /**
     * Fills {@code dst} (position to limit) with the bytes of {@code key} starting at {@code offset}.
     *
     * @throws CheckpointException if the object is missing or ends before the range does
     */
    void read(String key, long offset, ByteBuffer dst);

    /** The size of {@code key}, or empty if there is no such object. */
    OptionalLong size(String key);

    /** Every object whose key starts with {@code prefix}, sorted by key. */
    List<StoredObject> list(String prefix);

    /** Deletes {@code key}; deleting an absent object is not an error. */
    void delete(String key);

    /** Reads a whole (small) object into a heap buffer. */
    default ByteBuffer readAll(String key) {
        long size = size(key).orElseThrow(() -> new CheckpointException(locate(key) + " does not exist"));
        if (size > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(locate(key) + " is " + size + " bytes, too large to read whole");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) size);
        read(key, 0, buffer);
        return buffer.flip();
    }

    @Override
    void close();
}
