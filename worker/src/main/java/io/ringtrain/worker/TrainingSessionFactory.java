package io.ringtrain.worker;

import java.util.Set;

/**
 * Makes {@link TrainingSession}s for the models it knows. Implementations are found with
 * {@link java.util.ServiceLoader} (list them in
 * {@code META-INF/services/io.ringtrain.worker.TrainingSessionFactory}); see {@link TrainingSessions}.
 */
public interface TrainingSessionFactory {

    /** Model names this factory can train, e.g. {@code mlp}. */
    Set<String> models();

    /**
     * Builds the session for one worker of a run: initial state from {@code run.seed()}, the data
     * plane bound at {@code worker.dataPlaneHost()}:{@code worker.dataPlanePort()} (port 0: any free
     * port). Called on the session thread; may block.
     */
    TrainingSession open(RunSettings run, WorkerContext worker) throws Exception;
}
