package io.ringtrain.checkpoint;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A real store whose puts wait until the test opens the gate: lets a test act while an upload is provably in flight. */
final class GatedStore implements CheckpointStore {
    private final CheckpointStore delegate;
    private final CountDownLatch gate = new CountDownLatch(1);
    final AtomicInteger putsWaiting = new AtomicInteger();

    GatedStore(CheckpointStore delegate) {
        this.delegate = delegate;
    }

    void open() {
        gate.countDown();
    }

    @Override
    public void put(String key, ByteBuffer data) {
        putsWaiting.incrementAndGet();
        try {
            if (!gate.await(30, TimeUnit.SECONDS)) {
                throw new CheckpointException("test gate not opened within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException("interrupted at test gate", e);
        } finally {
            putsWaiting.decrementAndGet();
        }
        delegate.put(key, data);
    }

    @Override
    public String uri() {
        return delegate.uri();
    }

    @Override
    public void read(String key, long offset, ByteBuffer dst) {
        delegate.read(key, offset, dst);
    }

    @Override
    public OptionalLong size(String key) {
        return delegate.size(key);
    }

    @Override
    public List<StoredObject> list(String prefix) {
        return delegate.list(prefix);
    }

    @Override
    public void delete(String key) {
        delegate.delete(key);
    }

    @Override
    public void close() {
        gate.countDown();
        delegate.close();
    }
}
