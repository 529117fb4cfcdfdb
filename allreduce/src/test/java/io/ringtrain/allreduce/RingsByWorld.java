package io.ringtrain.allreduce;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * UDP test rings shared by the tests of one class, one per world size, started on first use. Closing a data plane
 * waits up to two seconds for its publications to drain, so sharing rings, and closing them together, keeps a
 * class of many small ring tests fast. Only for tests that leave their ring healthy.
 */
final class RingsByWorld implements AutoCloseable {
    private final Map<Integer, TestRing> rings = new TreeMap<>();

    synchronized TestRing get(int world) {
        return rings.computeIfAbsent(world, TestRing::udp);
    }

    @Override
    public synchronized void close() {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (TestRing ring : rings.values()) {
            closing.add(CompletableFuture.runAsync(ring::close));
        }
        closing.forEach(CompletableFuture::join);
        rings.clear();
    }
}
