package io.ringtrain.allreduce;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A stranger with a media driver of its own (its own directory under /dev/shm, removed on close), publishing to
 * whatever it likes: what a second, misconfigured run or a hostile process on the network would have.
 */
final class RogueAeron implements AutoCloseable {
    final MediaDriver driver;
    final Aeron aeron;
    private final String directory;
    private final List<ExclusivePublication> publications = new ArrayList<>();

    RogueAeron() {
        directory = SharedDriver.defaultDirectory() + "-rogue";
        driver = MediaDriver.launch(DriverSettings.base(directory, ThreadingMode.SHARED, Throwable::printStackTrace)
                .publicationTermBufferLength(64 << 10).ipcTermBufferLength(64 << 10));
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(directory));
    }

    ExclusivePublication publish(String channel) {
        ExclusivePublication p = aeron.addExclusivePublication(channel, DataPlaneContext.DEFAULT_STREAM_ID);
        publications.add(p);
        return p;
    }

    @Override
    public void close() {
        publications.forEach(ExclusivePublication::close);
        aeron.close();
        driver.close();
        DriverDirectories.deleteRecursively(Path.of(directory));
    }
}
