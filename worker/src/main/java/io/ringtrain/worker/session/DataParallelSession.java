package io.ringtrain.worker.session;

import io.ringtrain.allreduce.CollectiveException;
import io.ringtrain.allreduce.Communicator;
import io.ringtrain.allreduce.DataPlane;
import io.ringtrain.allreduce.DataPlaneException;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.checkpoint.ShardWriter;
import io.ringtrain.checkpoint.StateLayout;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.worker.RingGeneration;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.SavedShard;
import io.ringtrain.worker.SessionFailure;
import io.ringtrain.worker.SessionSummary;
import io.ringtrain.worker.StateDigest;
import io.ringtrain.worker.StepResult;
import io.ringtrain.worker.TrainingSession;
import io.ringtrain.worker.WorkerContext;
import io.ringtrain.worker.exchange.DataParallelStep;
import io.ringtrain.worker.model.NpyFile;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizer;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.ComputeBackend;
import io.ringtrain.worker.train.Evaluation;
import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import io.ringtrain.worker.train.Replica;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's share of a data-parallel run of a built-in model: an ND4J replica, its end of the Aeron ring, and
 * its checkpoint shards. Gradients go straight from the replica's gradient arena to the ring in fusion buckets
 * (no copy); a checkpoint shard is this rank's byte range of the state arena, snapshotted then written in the
 * background. A rank that joins a running ring, or fell a step behind when the ring broke, takes the whole state
 * (parameters, optimizer slots, step, data position) from a peer over the data plane.
 */
final class DataParallelSession implements TrainingSession {
    private static final Logger LOG = LoggerFactory.getLogger(DataParallelSession.class);
    /** Steps left out of the timing split: the JIT and ND4J are still warming up. */
    private static final int WARMUP_STEPS = 5;

    private final RunSettings run;
    private final Replica replica;
    private final StateLayout layout;
    private final Checkpoints checkpoints;
    private final ShardWriter shards;
    private final DataPlane plane;
    private final SessionOptions options;
    private final StepTimings timings = new StepTimings(WARMUP_STEPS);
    private DataParallelStep step;
    private RingGeneration ring;
    private double lastLoss = Double.NaN;
    /** The current generation's communicator, for {@link #abort} from another thread. */
    private volatile Communicator communicator;
    /** Generations up to this one were aborted: joining them, or anything still running on them, fails. */
    private volatile long abortedUpTo;

    private DataParallelSession(RunSettings run, Replica replica, Checkpoints checkpoints, DataPlane plane, SessionOptions options) {
        this.run = run;
        this.replica = replica;
        this.layout = StateCheckpoints.layoutOf(replica.state().state());
        this.checkpoints = checkpoints;
        this.shards = checkpoints.writer(run.runId());
        this.plane = plane;
        this.options = options;
    }

    static DataParallelSession open(RunSettings run, WorkerContext worker) {
        ModelOptions given = ModelOptions.of(run.options());
        SessionOptions options = SessionOptions.of(given);
        ComputeBackend.limitThreads(options.computeThreads());
        Optimizer optimizer = optimizer(run, given);
        Model model = ModelRegistry.create(run.model(), ModelContext.of(run.seed(), given));
        given.requireAllRead(optionReaders(run));
        Replica replica = Replica.create(model, optimizer, run.seed(), run.globalBatch());
        Checkpoints checkpoints = Checkpoints.open(run.checkpointStoreUri());
        try {
            DataPlane plane = DataPlane.launch(DataPlaneSettings.of(worker));
            LOG.info("worker {} ready: {} ({} parameters), data plane at {}, {}", worker.name(), run.model(),
                    replica.state().parameterCount(), plane.endpoint(), ComputeBackend.describe());
            return new DataParallelSession(run, replica, checkpoints, plane, options);
        } catch (RuntimeException e) {
            checkpoints.close();
            throw e;
        }
    }

    static String optionReaders(RunSettings run) {
        return "model " + run.model() + ", optimizer " + run.optimizer() + " or the worker";
    }

    static Optimizer optimizer(RunSettings run, ModelOptions options) {
        return Optimizers.create(run.optimizer(), run.learningRate(), options);
    }

    @Override
    public String dataPlaneEndpoint() {
        return plane.endpoint();
    }

    @Override
    public void joinRing(RingGeneration next) {
        requireNotAborted(next.generation());
        Communicator joined;
        try {
            joined = plane.join(Math.toIntExact(next.generation()), next.rank(), next.endpointsByRank(), next.token());
        } catch (DataPlaneException e) {
            Optional<String> lost = plane.lostBecause();
            if (lost.isPresent()) {
                throw new SessionFailure.DataPlaneLost("this worker's data plane is gone: " + lost.get(), e);
            }
            throw new SessionFailure.RingBroken("joining ring generation " + next.generation() + " failed: " + e.getMessage(), e);
        }
        if (step == null) {
            step = new DataParallelStep(replica, joined);
            step.syntheticCompute(options.syntheticCompute());
        } else {
            step.communicator(joined);
        }
        ring = next;
        communicator = joined;
        requireNotAborted(next.generation()); // an abort that raced the join found no communicator to close
        LOG.info("joined ring generation {} as rank {} of {}", next.generation(), next.rank(), next.worldSize());
    }

    @Override
    public StateDigest digest() {
        CRC32C crc = new CRC32C();
        crc.update(replica.state().state().bytes());
        return new StateDigest(replica.step(), (int) crc.getValue());
    }

    @Override
    public StateDigest restore(long stepsDone) {
        CheckpointManifest manifest;
        try {
            manifest = checkpoints.manifest(run.runId(), stepsDone);
        } catch (RuntimeException e) {
            throw new SessionFailure.StorageFailed("reading the manifest of step " + stepsDone + " failed: " + e.getMessage(), e);
        }
        StateLayout saved = StateLayout.fromEntries(manifest.getTensorsList());
        Optional<String> unfit = StateCheckpoints.whyNotRestorable(saved, layout);
        if (unfit.isPresent()) {
            throw new SessionFailure.ModelFailed("checkpoint of step " + stepsDone + " in run " + run.runId() + " cannot continue"
                    + " model " + run.model() + " with optimizer " + run.optimizer() + ": " + unfit.get(), null);
        }
        try {
            checkpoints.restore(manifest, replica.state().state().bytes());
        } catch (RuntimeException e) {
            throw new SessionFailure.StorageFailed("restoring the checkpoint of step " + stepsDone + " failed: " + e.getMessage(), e);
        }
        if (replica.step() != stepsDone) {
            throw new SessionFailure.StorageFailed("checkpoint of step " + stepsDone + " holds the state after " + replica.step()
                    + " steps", null);
        }
        LOG.info("restored the state after step {} ({} bytes)", stepsDone, layout.totalBytes());
        return digest();
    }

    @Override
    public StateDigest receiveState(int sourceRank) {
        requireRing();
        long started = System.nanoTime();
        UnsafeBuffer state = new UnsafeBuffer(replica.state().state().address(), Math.toIntExact(layout.totalBytes()));
        try {
            communicator.broadcast(state, 0, state.capacity(), sourceRank).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof CollectiveException broken) {
                throw new SessionFailure.RingBroken("receiving the training state from rank " + sourceRank + " of generation "
                        + ring.generation() + " failed: " + broken.getMessage(), broken,
                        broken instanceof CollectiveException.PeerLost lost ? lost.peerRank() : -1);
            }
            throw e;
        }
        StateDigest digest = digest();
        double seconds = (System.nanoTime() - started) / 1e9;
        LOG.info("{} the training state ({} bytes, {}) {} rank {} in {} ms ({} MB/s)", ring.rank() == sourceRank ? "sent" : "took",
                state.capacity(), digest, ring.rank() == sourceRank ? "as" : "from", sourceRank, Math.round(seconds * 1e3),
                Math.round(state.capacity() / 1e6 / Math.max(seconds, 1e-9)));
        return digest;
    }

    @Override
    public StepResult runStep(long index, boolean voteToStop) {
        requireRing();
        if (replica.step() != index) {
            throw new IllegalStateException("asked for step " + index + " but the replica has done " + replica.step() + " steps");
        }
        StepResult r = step.run(voteToStop);
        timings.add(r);
        lastLoss = r.meanLoss();
        return r;
    }

    @Override
    public void abort(long generation, String reason) {
        if (generation > abortedUpTo) {
            abortedUpTo = generation;
        }
        Communicator c = communicator;
        if (c != null && c.generation() <= generation) {
            LOG.info("aborting ring generation {}: {}", c.generation(), reason);
            c.close();
        }
    }

    private void requireNotAborted(long generation) {
        if (generation <= abortedUpTo) {
            Communicator c = communicator;
            if (c != null && c.generation() <= abortedUpTo) {
                c.close();
            }
            throw new SessionFailure.RingBroken("ring generation " + generation + " was aborted", null);
        }
    }

    private void requireRing() {
        if (step == null || ring == null) {
            throw new IllegalStateException("no ring joined yet: joinRing first");
        }
    }

    @Override
    public CompletionStage<SavedShard> saveCheckpoint(long stepsDone) {
        CheckpointManifest draft = StateCheckpoints.draft(run, replica, stepsDone, ring.worldSize(), layout);
        return shards.saveShardAsync(stepsDone, ring.rank(), ring.worldSize(), replica.state().state().bytes())
                .thenApply(report -> new SavedShard(report, draft));
    }

    @Override
    public SessionSummary finish() throws Exception {
        Evaluation heldOut = replica.evaluate();
        if (ring != null && ring.rank() == 0 && !run.exportParams().isEmpty()) {
            NpyFile.writeParameters(Path.of(run.exportParams()), replica.state());
            LOG.info("wrote {} parameters to {}", replica.state().parameterCount(), run.exportParams());
        }
        Map<String, Double> metrics = new LinkedHashMap<>(timings.metrics());
        metrics.put("model.parameters", (double) replica.state().parameterCount());
        if (!heldOut.isEmpty()) {
            metrics.put("heldout.loss", heldOut.meanLoss());
            heldOut.metrics().forEach((name, value) -> metrics.put("heldout." + name, value));
        }
        double accuracy = heldOut.accuracy();
        return new SessionSummary(lastLoss, Double.isNaN(accuracy) ? OptionalDouble.empty() : OptionalDouble.of(accuracy), metrics);
    }

    @Override
    public void close() {
        try {
            plane.close();
        } finally {
            shards.close();
            checkpoints.close();
        }
    }
}
