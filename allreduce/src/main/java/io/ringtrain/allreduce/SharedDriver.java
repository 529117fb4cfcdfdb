package io.ringtrain.allreduce;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A media driver that several ranks on one host attach to (with {@code embeddedDriver(false)}), so they can
 * exchange frames over {@code aeron:ipc}: shared memory, no sockets, no copies through the driver. One thread,
 * backing off when idle.
 */
public final class SharedDriver implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SharedDriver.class.getName());
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final MediaDriver driver;
    private final String directory;

    private SharedDriver(MediaDriver driver, String directory) {
        this.driver = driver;
        this.directory = directory;
    }

    /** A fresh directory under /dev/shm named so that a later run can remove it if this process is killed. */
    public static String defaultDirectory() {
        String base = new File("/dev/shm").isDirectory() ? "/dev/shm" : System.getProperty("java.io.tmpdir");
        return base + File.separator + DriverDirectories.PREFIX + ProcessHandle.current().pid() + "-shared-"
                + SEQUENCE.incrementAndGet();
    }

    public static SharedDriver launch(String directory) {
        File dir = new File(directory).getAbsoluteFile();
        if (dir.getParentFile() != null) {
            DriverDirectories.deleteOrphans(dir.getParentFile());
        }
        MediaDriver.Context ctx = DriverSettings.base(directory, ThreadingMode.SHARED,
                        e -> LOG.log(System.Logger.Level.WARNING, "Aeron: " + e.getMessage(), e))
                .sharedIdleStrategy(IdleStrategies.parse("backoff").get());
        return new SharedDriver(MediaDriver.launch(ctx), directory);
    }

    public String directory() {
        return directory;
    }

    @Override
    public void close() {
        driver.close();
        DriverDirectories.deleteRecursively(Path.of(directory));
    }
}
