package io.ringtrain.allreduce;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much shared memory a rank's media driver will map, checked before the driver starts. Aeron maps its log
 * buffers as files in the driver directory (normally /dev/shm); when that file system is full it fails with
 * little more than a bus error or a terse storage message, and a container's default /dev/shm is only 64 MiB.
 */
public final class SharedMemoryBudget {
    /**
     * One driver's command-and-control file (command buffers, 4 MiB of counter metadata for 1 MiB of counter
     * values, 4 MiB error log; see {@link DriverSettings}) and loss report, with some slack.
     */
    static final long DRIVER_BASE_BYTES = 14L << 20;
    private static final long LOG_METADATA_BYTES = 4096;

    private SharedMemoryBudget() {
    }

    /**
     * Bytes one rank maps in its own driver directory for a ring of {@code worldSize}: its ring publication,
     * the image of its predecessor's (UDP only: IPC images share the publisher's log), and the small
     * direct-exchange publications and images.
     */
    public static long bytesPerRank(DataPlaneContext ctx, int worldSize) {
        return DRIVER_BASE_BYTES + logBytesPerRank(ctx, worldSize);
    }

    /**
     * The log buffers alone: a rank's ring publications (up to three with hierarchical all-reduce), the images of
     * its predecessors' (UDP only: IPC images share the publisher's log), and the small direct-exchange ones.
     */
    static long logBytesPerRank(DataPlaneContext ctx, int worldSize) {
        ctx.conclude();
        if (worldSize <= 1) {
            return 0;
        }
        boolean udp = ctx.parsedEndpoint().hasUdp();
        // Hierarchical rings (up to three ring publications) need ranks on shared drivers; a rank with its own
        // driver is a host of its own and only ever has the flat ring's.
        long ringLinks = !ctx.embeddedDriver() && ctx.hierarchical() && worldSize >= 4 ? 3 : 1;
        long ring = ringLinks * (3L * ctx.termLength() + LOG_METADATA_BYTES);
        long mesh = ctx.usesMesh(worldSize)
                ? (worldSize - 2) * (3L * ctx.meshTermLength() + LOG_METADATA_BYTES) : 0;
        long perDirection = ring + mesh;
        return udp ? 2 * perDirection : perDirection;
    }

    /** Before a {@link SharedDriver} starts: room for the driver and every rank that will attach to it. */
    static void checkSharedDriver(SharedDriver.Context driver) {
        DataPlaneContext rank = new DataPlaneContext().endpoint("127.0.0.1:0").termLength(driver.termLength())
                .sharedDriver(driver.directory()).checkSharedMemory(false);
        long needed = DRIVER_BASE_BYTES + driver.ranksOnHost() * logBytesPerRank(rank, driver.worldSize());
        requireFree(driver.directory(), needed, driver.ranksOnHost() + " ranks on one shared driver with "
                + Sizes.format(driver.termLength()) + " terms in a world of " + driver.worldSize(), "the term length");
    }

    /**
     * Fails, before anything is mapped, when the file system holding the driver directory lacks room for
     * {@code ranksOnHost} ranks of this configuration.
     *
     * @throws DataPlaneException saying how much is free, how much is needed and what to change.
     */
    public static void check(DataPlaneContext ctx, int worldSize, int ranksOnHost) {
        ctx.conclude();
        // On a shared driver the launcher checked for all its ranks; each rank checks its own logs still fit.
        long needed = ctx.embeddedDriver() ? bytesPerRank(ctx, worldSize) * Math.max(1, ranksOnHost)
                : logBytesPerRank(ctx, worldSize);
        requireFree(ctx.aeronDirectoryName(), needed, (ranksOnHost > 1 ? ranksOnHost + " ranks" : "a rank") + " with "
                + Sizes.format(ctx.termLength()) + " terms in a world of " + worldSize, ctx.key("term-length"));
    }

    private static void requireFree(String directory, long needed, String who, String termLengthSetting) {
        File dir = new File(directory).getAbsoluteFile();
        File existing = dir;
        while (existing != null && !existing.exists()) {
            existing = existing.getParentFile();
        }
        if (existing == null) {
            throw new DataPlaneException("cannot find a file system for the Aeron directory " + dir);
        }
        long free;
        try {
            FileStore store = Files.getFileStore(Path.of(existing.getPath()));
            free = store.getUsableSpace();
        } catch (IOException e) {
            throw new DataPlaneException("cannot read free space for the Aeron directory " + dir + ": " + e.getMessage(), e);
        }
        if (free < needed) {
            throw new DataPlaneException(existing + " has " + Sizes.format(free) + " free; " + who + " need "
                    + Sizes.format(needed) + ": mount a larger /dev/shm (Kubernetes: an emptyDir with medium Memory and a"
                    + " sizeLimit), or lower " + termLengthSetting);
        }
    }
}
