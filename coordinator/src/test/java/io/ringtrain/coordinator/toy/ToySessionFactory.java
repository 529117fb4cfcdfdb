package io.ringtrain.coordinator.toy;

import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.TrainingSession;
import io.ringtrain.worker.TrainingSessionFactory;
import io.ringtrain.worker.WorkerContext;
import java.util.Set;

/** Serves model {@code toy}; listed in the test class path's META-INF/services for worker processes. */
public final class ToySessionFactory implements TrainingSessionFactory {

    public static final String MODEL = "toy";

    @Override
    public Set<String> models() {
        return Set.of(MODEL);
    }

    @Override
    public TrainingSession open(RunSettings run, WorkerContext worker) throws Exception {
        return new ToySession(run, worker);
    }
}
