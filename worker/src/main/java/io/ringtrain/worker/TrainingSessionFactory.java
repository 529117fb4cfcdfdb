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

    /**
     * Checks the run's settings where the run is started (the CLI), before any worker process exists, so that a
     * mistake (a bad or misspelled {@code -O} option) fails at once with its message instead of in every worker.
     * Cheap: it builds no model. By default nothing is checked.
     *
     * @throws IllegalArgumentException saying what is wrong and what to do
     */
    default void check(RunSettings run) {
    }
}
