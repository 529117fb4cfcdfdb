package io.ringtrain.allreduce;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Media-driver directories are named {@code ringtrain-<pid>-<n>} so that those left behind by a process that
 * was killed (SIGKILL skips every shutdown hook) can be recognised and removed by the next one.
 */
final class DriverDirectories {
    static final String PREFIX = "ringtrain-";

    private static final System.Logger LOG = System.getLogger(DriverDirectories.class.getName());

    private DriverDirectories() {
    }

    /**
     * Where driver directories go by default: /dev/shm (memory) when it has {@code neededBytes} free, else the
     * temp directory if that does (a container's 64 MiB /dev/shm should slow a run, not stop it), else /dev/shm,
     * where the shared-memory check will then say what to change.
     */
    static String defaultParent(long neededBytes) {
        File shm = new File("/dev/shm");
        File tmp = new File(System.getProperty("java.io.tmpdir"));
        if (!shm.isDirectory()) {
            return tmp.getPath();
        }
        if (shm.getUsableSpace() >= neededBytes) {
            return shm.getPath();
        }
        if (tmp.getUsableSpace() >= neededBytes) {
            LOG.log(System.Logger.Level.WARNING, "/dev/shm has " + Sizes.format(shm.getUsableSpace()) + " free but the data plane"
                    + " needs " + Sizes.format(neededBytes) + ": putting Aeron's files in " + tmp + " (disk-backed, slower)."
                    + " Mount a larger /dev/shm or lower the data plane's term-length.");
            return tmp.getPath();
        }
        return shm.getPath();
    }

    /** Deletes driver directories in {@code parent} whose owning process is gone; returns how many. */
    static int deleteOrphans(File parent) {
        File[] children = parent.listFiles((dir, name) -> name.startsWith(PREFIX));
        if (children == null) {
            return 0;
        }
        int deleted = 0;
        for (File child : children) {
            long pid = ownerPid(child.getName());
            if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
                deleteRecursively(child.toPath());
                deleted++;
            }
        }
        return deleted;
    }

    static long ownerPid(String name) {
        if (!name.startsWith(PREFIX)) {
            return -1;
        }
        int end = name.indexOf('-', PREFIX.length());
        try {
            return Long.parseLong(end < 0 ? name.substring(PREFIX.length()) : name.substring(PREFIX.length(), end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // Best effort: a directory we cannot delete is reported by the next start's orphan sweep.
        }
    }
}
