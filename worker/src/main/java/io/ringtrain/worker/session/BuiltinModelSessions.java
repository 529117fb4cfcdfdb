package io.ringtrain.worker.session;

import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.TrainingSession;
import io.ringtrain.worker.TrainingSessionFactory;
import io.ringtrain.worker.WorkerContext;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import java.util.Set;
import java.util.TreeSet;

/** Trains the models that ship with ringtrain ({@link ModelRegistry}) data-parallel over the Aeron ring. */
public final class BuiltinModelSessions implements TrainingSessionFactory {

    @Override
    public Set<String> models() {
        return new TreeSet<>(ModelRegistry.names());
    }

    @Override
    public void check(RunSettings run) {
        ModelOptions given = ModelOptions.of(run.options());
        SessionOptions.of(given);
        DataParallelSession.optimizer(run, given);
        if (ModelRegistry.readOptions(run.model(), ModelContext.of(run.seed(), given))) {
            given.requireAllRead(DataParallelSession.optionReaders(run));
        }
    }

    @Override
    public TrainingSession open(RunSettings run, WorkerContext worker) {
        return DataParallelSession.open(run, worker);
    }
}
