package io.ringtrain.worker;

import java.util.concurrent.CompletionStage;

/**
 * One worker's share of a training run: its model state, its end of the data-plane ring and its
 * checkpoint shards. The {@link Worker} actor owns the lifecycle and drives a session through it;
 * a session knows nothing about Pekko or the coordinator.
 *
 * <p>Threading contract: the Worker calls every method except {@link #abort} on one dedicated
 * thread (never the actor's dispatcher), one call at a time, so an implementation needs no locking
 * beyond what {@code abort} shares. Calls may block: a step waits for its all-reduce, a restore
 * reads storage. A call that cannot make progress (a peer is gone) must fail within a bounded time;
 * it must never hang.
 *
 * <p>Failures are typed ({@link SessionFailure}): a collective that cannot complete throws
 * {@link SessionFailure.RingBroken}, and the Worker then waits for the coordinator to re-form the
 * ring; anything else ends the run.
 *
 * <p>Order of calls, per ring generation g (every generation after the first starts the same way,
 * with the state the coordinator says: fresh, from a checkpoint, from a peer, or kept):
 * <pre>
 *   TrainingSessionFactory.open                         once
 *   joinRing(g)                                         before anything else on g
 *   digest() | restore(step) | receiveState(source)     the state g starts from
 *   runStep(s), runStep(s + 1), ...                     s = steps already done
 *   saveCheckpoint(k)                                   between steps, once k steps are done
 *   ... the ring stops (agreed stop, or RingBroken): digest(), then joinRing(g + 1) ...
 *   finish()                                            after the last step and every save
 *   close()                                             always last, also after a failure
 * </pre>
 */
public interface TrainingSession extends AutoCloseable {

    /**
     * The endpoint this worker's data plane listens on ("host:port" for UDP). Called once right
     * after {@code open}; the coordinator hands every rank's endpoint to every rank.
     */
    String dataPlaneEndpoint();

    /**
     * Connects to the ring of one generation: {@code ring.endpointsByRank()} lists every rank's
     * data-plane endpoint; this worker is {@code ring.rank()}. Returns once the ring is usable.
     *
     * @throws SessionFailure.RingBroken if it cannot be formed within the session's own timeout
     * @throws SessionFailure.DataPlaneLost if this worker's data plane can never form a ring again
     */
    void joinRing(RingGeneration ring) throws Exception;

    /** Steps done and a checksum of the whole training state this rank holds now. */
    StateDigest digest();

    /** Loads the state of the committed checkpoint taken after {@code step} steps. */
    StateDigest restore(long step) throws Exception;

    /**
     * Every rank of the joined ring calls this together: rank {@code sourceRank} sends its whole
     * training state over the data plane and every other rank takes it, so a worker that joined (or
     * fell a step behind) continues exactly where the source is.
     *
     * @throws SessionFailure.RingBroken if the transfer cannot complete
     */
    StateDigest receiveState(int sourceRank) throws Exception;

    /**
     * Runs step {@code step} (0-based; after it, {@code step + 1} steps are done): this rank's part
     * of the global batch, all-reduce of gradients, optimizer update.
     *
     * @param voteToStop ask every rank to stop after this step; the result says whether any did
     */
    StepResult runStep(long step, boolean voteToStop) throws Exception;

    /**
     * Saves this rank's shard of the state after {@code step} steps. Returns as soon as the state
     * is snapshotted (the training stall); the stage completes, on any thread, once the shard is
     * durable, with what the coordinator needs to commit the checkpoint.
     */
    CompletionStage<SavedShard> saveCheckpoint(long step) throws Exception;

    /** Called once after the last step: held-out evaluation, parameter export (rank 0), metrics. */
    SessionSummary finish() throws Exception;

    /**
     * Called from any thread: makes whatever runs on ring {@code generation} fail promptly with
     * {@link SessionFailure.RingBroken} (a peer is gone; waiting out the timeouts would only cost
     * time). Does nothing once a later generation was joined. Must not block.
     */
    void abort(long generation, String reason);

    /** Releases the data plane and any other resource. Called exactly once, also after failures. */
    @Override
    void close();
}
