package io.ringtrain.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/** The {@link TrainingSessionFactory}s on the class path, chosen by model name. */
public final class TrainingSessions implements TrainingSessionFactory {

    private final List<TrainingSessionFactory> factories;

    private TrainingSessions(List<TrainingSessionFactory> factories) {
        this.factories = List.copyOf(factories);
    }

    public static TrainingSessions fromClassPath() {
        List<TrainingSessionFactory> found = new ArrayList<>();
        ServiceLoader.load(TrainingSessionFactory.class).forEach(found::add);
        return new TrainingSessions(found);
    }

    public static TrainingSessions of(TrainingSessionFactory... factories) {
        return new TrainingSessions(List.of(factories));
    }

    @Override
    public Set<String> models() {
        Set<String> models = new TreeSet<>();
        factories.forEach(f -> models.addAll(f.models()));
        return models;
    }

    /** The factory for {@code model}; the message names the known models when there is none. */
    public TrainingSessionFactory forModel(String model) {
        for (TrainingSessionFactory factory : factories) {
            if (factory.models().contains(model)) {
                return factory;
            }
        }
        if (factories.isEmpty()) {
            throw new IllegalArgumentException("unknown model '" + model + "': no TrainingSessionFactory is on the"
                    + " class path (META-INF/services/" + TrainingSessionFactory.class.getName() + ")");
        }
        throw new IllegalArgumentException("unknown model '" + model + "'; known models: " + String.join(", ", models()));
    }

    @Override
    public void check(RunSettings run) {
        forModel(run.model()).check(run);
    }

    @Override
    public TrainingSession open(RunSettings run, WorkerContext worker) throws Exception {
        return forModel(run.model()).open(run, worker);
    }
}
