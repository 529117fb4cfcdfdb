package io.ringtrain.worker.session;

import com.typesafe.config.Config;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.worker.WorkerContext;

/**
 * A worker's data plane from {@code ringtrain.worker.data-plane}: the worker supplies its endpoint and thread
 * name; every other key is the data plane's own ({@link DataPlaneContext#SETTING_KEYS}), read and checked by
 * {@link DataPlaneContext#apply}, so a misspelt key or a bad value fails naming the key as the user wrote it.
 */
final class DataPlaneSettings {
    static final String PATH = "ringtrain.worker.data-plane.";

    private DataPlaneSettings() {
    }

    static DataPlaneContext of(WorkerContext worker) {
        // host and port are the worker's (they make its endpoint); the rest belongs to the data plane.
        Config c = worker.dataPlaneSettings().withoutPath("host").withoutPath("port");
        return new DataPlaneContext()
                .endpoint(worker.dataPlaneHost() + ":" + worker.dataPlanePort())
                .threadName("ringtrain-dataplane-" + worker.name())
                .apply(c.root().unwrapped(), PATH);
    }
}
