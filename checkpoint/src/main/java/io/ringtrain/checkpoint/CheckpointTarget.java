package io.ringtrain.checkpoint;

import java.util.Optional;
import java.util.function.Function;

/**
 * What a URI given to a tool points at: a checkpoint ({@code …/<run>/step-<n>}), a run
 * ({@code …/<run>}, a directory holding step directories) or a root (anything else). Holds the
 * root's store open; close it.
 *
 * @param run  null for a root
 * @param step null unless the URI names a step directory
 */
record CheckpointTarget(CheckpointStore root, String run, Long step) implements AutoCloseable {

    static CheckpointTarget resolve(String uri, Function<String, CheckpointStore> opener) {
        StoreUri location = StoreUri.parse(uri);
        Optional<Long> step = CheckpointKeys.parseStepSegment(location.lastSegment());
        if (step.isPresent()) {
            StoreUri runLocation = location.parent();
            String run = CheckpointKeys.checkRun(runLocation.lastSegment());
            return new CheckpointTarget(opener.apply(runLocation.parent().toString()), run, step.get());
        }
        CheckpointStore store = opener.apply(location.toString());
        boolean isRun;
        try {
            isRun = store.list("").stream().anyMatch(o -> o.key().contains("/")
                    && CheckpointKeys.parseStepSegment(o.key().substring(0, o.key().indexOf('/'))).isPresent());
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        if (!isRun) {
            return new CheckpointTarget(store, null, null);
        }
        store.close();
        String run = CheckpointKeys.checkRun(location.lastSegment());
        return new CheckpointTarget(opener.apply(location.parent().toString()), run, null);
    }

    @Override
    public void close() {
        root.close();
    }
}
