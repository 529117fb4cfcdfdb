package io.ringtrain.worker;

import java.util.concurrent.CompletionStage;

/**
 * One worker's share of a training run: its model state, its end of the data-plane ring and its
 * checkpoint shards. The {@link Worker} actor owns the lifecycle and drives a session through it;
 * a session knows nothing about Pekko or the coordinator.
 *
 * <p>Threading contract: the Worker calls every method on one dedicated thread (never the actor's
 * dispatcher), one call at a time, so an implementation needs no locking. Calls may block: a step
 * waits for its all-reduce, a restore reads storage. A call that cannot make progress (a peer is
 * gone) must fail with an exception within a bounded time; it must never hang.
 *
 * <p>Order of calls, per ring generation g:
 * <pre>
 *   TrainingSessionFactory.open
 *   joinRing(g)                          once per generation, before any step of g
 *   restore(step)                        only when resuming from a committed checkpoint
 *   runStep(s), runStep(s + 1), ...      s = steps already done
 *   saveCheckpoint(k)                    between steps, after the k-th step, when k % checkpoint_every == 0
 *   finish()                             after the last step and after every save has completed
 *   close()                              always last, also after a failure or an abort
 * </pre>
 */
public interface TrainingSession extends AutoCloseable {

    /**
     * The "host:port" this worker's data plane listens on. Called once right after {@code open};
     * the coordinator hands every rank's endpoint to every rank.
     */
    String dataPlaneEndpoint();

    /**
     * Connects to the ring of one generation: {@code ring.endpointsByRank()} lists every rank's
     * data-plane endpoint; this worker is {@code ring.rank()}. Returns once the ring is usable, or
     * throws if it cannot be formed within the session's own timeout.
     */
    void joinRing(RingGeneration ring) throws Exception;

    /** Loads the state of the committed checkpoint taken after {@code step} steps. */
    void restore(long step) throws Exception;

    /**
     * Runs step {@code step} (0-based; after it, {@code step + 1} steps are done): this rank's part
     * of the global batch, all-reduce of gradients, optimizer update.
     */
    StepResult runStep(long step) throws Exception;

    /**
     * Saves this rank's shard of the state after {@code step} steps. Returns as soon as the state
     * is snapshotted (the training stall); the stage completes, on any thread, once the shard is
     * durable, with what the coordinator needs to commit the checkpoint.
     */
    CompletionStage<SavedShard> saveCheckpoint(long step) throws Exception;

    /** Called once after the last step: held-out evaluation, parameter export (rank 0), metrics. */
    SessionSummary finish() throws Exception;

    /** Releases the data plane and any other resource. Called exactly once, also after failures. */
    @Override
    void close();
}
