package io.ringtrain.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Checkpoints in a local (or mounted) directory; keys map to relative paths. {@link #put} writes a
 * hidden temporary file next to the target, fsyncs it, renames it over the target and fsyncs the
 * directory, so a reader (or a restart after a crash) sees the old object or the whole new one.
 */
public final class DirectoryStore implements CheckpointStore {
    private final Path root;

    private DirectoryStore(Path root) {
        this.root = root;
    }

    static DirectoryStore open(StoreUri location) {
        return open(Path.of(location.path()));
    }

    /** Opens (creating it if needed) a checkpoint directory, after checking that this process can write to it. */
    public static DirectoryStore open(Path directory) {
        Path root = directory.toAbsolutePath().normalize();
        try {
            Files.createDirectories(root);
        } catch (FileAlreadyExistsException e) {
            throw new CheckpointException("cannot use " + root + " for checkpoints: " + e.getFile()
                    + " exists and is not a directory; choose another location", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot create checkpoint directory " + root + ": " + reason(e)
                    + "; create it with write permission for this user or choose another location", e);
        }
        Path probe = root.resolve(".ringtrain-write-probe-" + UUID.randomUUID());
        try (FileChannel channel = FileChannel.open(probe, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {1}));
            channel.force(true);
        } catch (IOException e) {
            throw new CheckpointException("checkpoint directory " + root + " is not writable: " + reason(e)
                    + "; grant this user write permission or choose another location", e);
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // The probe is hidden and tiny; failing to remove it does not affect checkpoints.
            }
        }
        return new DirectoryStore(root);
    }

    /** Opens an existing checkpoint directory for reading only (tools): nothing is created or written. */
    public static DirectoryStore openExisting(Path directory) {
        Path root = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new CheckpointException("no checkpoint directory at " + root + (Files.exists(root) ? " (it is a file)" : ""));
        }
        if (!Files.isReadable(root)) {
            throw new CheckpointException("checkpoint directory " + root + " is not readable by this user");
        }
        return new DirectoryStore(root);
    }

    @Override
    public String uri() {
        return new StoreUri(StoreUri.FILE, null, root.toString(), java.util.Map.of()).toString();
    }

    @Override
    public void put(String key, ByteBuffer data) {
        Path target = resolve(key);
        Path temporary = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer source = data.duplicate();
                while (source.hasRemaining()) {
                    channel.write(source);
                }
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(target.getParent());
        } catch (IOException e) {
            deleteQuietly(temporary);
            throw new CheckpointException("cannot write " + target + " (" + data.remaining() + " bytes): " + reason(e)
                    + "; " + space(target.getParent()), e);
        }
    }

    /**
     * What the file system holding {@code directory} has left, for a failed write: a full disk and a file system
     * remounted read-only (what Linux does after I/O errors) are the usual reasons, and both need a person.
     */
    private String space(Path directory) {
        Path existing = directory;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        try {
            FileStore store = Files.getFileStore(existing == null ? root : existing);
            String where = "the file system " + store + " has " + mib(store.getUsableSpace()) + " free of "
                    + mib(store.getTotalSpace());
            return store.isReadOnly() ? where + " and is read-only: remount it read-write or choose another checkpoint directory"
                    : where + ": free space there or choose another checkpoint directory";
        } catch (IOException | RuntimeException e) {
            return "the free space of " + directory + " could not be read (" + e.getMessage() + ")";
        }
    }

    @Override
    public void read(String key, long offset, ByteBuffer dst) {
        Path file = resolve(key);
        long wanted = dst.remaining();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (offset + wanted > size) {
                throw new CheckpointException(file + " is " + size + " bytes but bytes [" + offset + ", "
                        + (offset + wanted) + ") were needed: the object is truncated or not the one the manifest names");
            }
            long position = offset;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position);
                if (n < 0) {
                    throw new CheckpointException(file + " ended at byte " + position + " while reading ["
                            + offset + ", " + (offset + wanted) + "): it is being truncated");
                }
                position += n;
            }
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + " does not exist", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + " at [" + offset + ", " + (offset + wanted) + "): "
                    + reason(e), e);
        }
    }

    @Override
    public OptionalLong size(String key) {
        Path file = resolve(key);
        try {
            return OptionalLong.of(Files.size(file));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new CheckpointException("cannot stat " + file + ": " + reason(e), e);
        }
    }

    @Override
    public List<StoredObject> list(String prefix) {
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<StoredObject> objects = new ArrayList<>();
        try (Stream<Path> files = Files.walk(start)) {
            files.filter(Files::isRegularFile).forEach(file -> {
                String key = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix)) {
                    objects.add(new StoredObject(key, sizeOrZero(file)));
                }
            });
        } catch (IOException | UncheckedIOException e) {
            throw new CheckpointException("cannot list " + start + ": " + e.getMessage(), e);
        }
        objects.sort((a, b) -> a.key().compareTo(b.key()));
        return objects;
    }

    @Override
    public void delete(String key) {
        Path file = resolve(key);
        try {
            Files.deleteIfExists(file);
            for (Path dir = file.getParent(); dir != null && !dir.equals(root) && dir.startsWith(root); dir = dir.getParent()) {
                try (Stream<Path> entries = Files.list(dir)) {
                    if (entries.findAny().isPresent()) {
                        break;
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot delete " + file + ": " + reason(e), e);
        }
    }

    @Override
    public void close() {
        // Nothing held open between calls.
    }

    @Override
    public String toString() {
        return uri();
    }

    private Path resolve(String key) {
        Path path = root.resolve(key).normalize();
        if (key.isEmpty() || key.startsWith("/") || !path.startsWith(root) || path.equals(root)) {
            throw new IllegalArgumentException("object key '" + key + "' must be a relative path inside " + root);
        }
        return path;
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // deleted while listing
        }
    }

    private static void forceDirectory(Path directory) throws IOException {
        // Makes the rename itself durable; without it a crash can forget a completed put.
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // Leftover hidden temporaries are removed later by retention.
        }
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied (" + e.getMessage() + ")";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason() + " (" + fs.getFile() + ")";
        }
        return e.toString();
    }
}
