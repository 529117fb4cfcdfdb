package io.ringtrain.coordinator.toy;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.checkpoint.ShardWriter;
import io.ringtrain.checkpoint.StateLayout;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import io.ringtrain.worker.RingGeneration;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.SavedShard;
import io.ringtrain.worker.SessionFailure;
import io.ringtrain.worker.SessionSummary;
import io.ringtrain.worker.StateDigest;
import io.ringtrain.worker.StepResult;
import io.ringtrain.worker.TrainingSession;
import io.ringtrain.worker.WorkerContext;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CompletionStage;
import java.util.zip.CRC32C;

/**
 * A deterministic stand-in for the real training session, for testing the actors and the cluster without ND4J
 * or Aeron: one scalar parameter w fitted to y = a·x by SGD on samples generated from (seed, step, sample index).
 * Every rank computes the global-batch gradient itself (standing in for the all-reduce), so all ranks hold the
 * same w and the result does not depend on the world size; each rank's reported loss is over its own part of the
 * batch. The data plane is a real UDP socket: joining a ring sends a hello to the successor and waits for the
 * predecessor's, so wrong endpoint lists fail the join, and a state transfer sends (w, step) from the source to
 * every other rank. With no all-reduce, a rank's stop vote is its own (the coordinator pauses every rank). Checkpoints
 * go through the real checkpoint library (shards by ShardWriter, restore by Checkpoints).
 *
 * <p>Options: {@code step-millis} (simulated compute per step), {@code fail-at-step} (the step throws a model
 * failure), {@code halt-at-step} (the JVM halts with status 3: a crashed worker process), {@code halt-worker} (only the
 * worker of this name halts).
 */
final class ToySession implements TrainingSession {

    private static final StateLayout LAYOUT = StateLayout.of(
            TensorSpec.newBuilder().setName("w").setDtype(Dtype.DTYPE_FLOAT64).addShape(1).build(),
            TensorSpec.newBuilder().setName("step").setDtype(Dtype.DTYPE_INT64).addShape(1).build());
    private static final int EARLY_LIMIT = 64;

    private final RunSettings run;
    private final WorkerContext worker;
    private final DatagramSocket socket;
    private final Checkpoints checkpoints;
    private final ShardWriter shards;
    private final long stepMillis;
    private final long failAtStep;
    private final long haltAtStep;
    private final String haltWorker;
    private RingGeneration ring;
    private double w;
    private double lastLoss = Double.NaN;
    private long steps;
    private long stepsDone;
    private long stepNanos;
    private volatile long abortedUpTo;
    /** Datagrams that came before the call that wants them. */
    private final ArrayDeque<String> early = new ArrayDeque<>();

    ToySession(RunSettings run, WorkerContext worker) throws IOException {
        this.run = run;
        this.worker = worker;
        this.socket = new DatagramSocket(new InetSocketAddress(worker.dataPlaneHost(), worker.dataPlanePort()));
        this.checkpoints = Checkpoints.open(run.checkpointStoreUri());
        this.shards = checkpoints.writer(run.runId());
        this.stepMillis = option("step-millis", 0);
        this.failAtStep = option("fail-at-step", -1);
        this.haltAtStep = option("halt-at-step", -1);
        this.haltWorker = run.options().getOrDefault("halt-worker", "");
    }

    private long option(String key, long otherwise) {
        return Long.parseLong(run.options().getOrDefault(key, Long.toString(otherwise)));
    }

    @Override
    public String dataPlaneEndpoint() {
        return worker.dataPlaneHost() + ":" + socket.getLocalPort();
    }

    @Override
    public void joinRing(RingGeneration ring) throws IOException {
        if (!ring.endpointsByRank().get(ring.rank()).equals(dataPlaneEndpoint())) {
            throw new IOException("ring generation " + ring.generation() + " puts " + ring.endpointsByRank().get(ring.rank())
                    + " at rank " + ring.rank() + ", but this worker listens on " + dataPlaneEndpoint());
        }
        this.ring = null;
        send(ring.successorEndpoint(), "hello:" + ring.generation() + ":" + ring.rank());
        int predecessor = (ring.rank() - 1 + ring.worldSize()) % ring.worldSize();
        receive("hello:" + ring.generation() + ":" + predecessor, ring.generation(), "a hello from rank " + predecessor);
        this.ring = ring;
    }

    @Override
    public StateDigest digest() {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(16).putDouble(w).putLong(steps()).flip());
        return new StateDigest(steps(), (int) crc.getValue());
    }

    private long steps() {
        return stepsDone;
    }

    @Override
    public StateDigest restore(long step) throws IOException {
        ByteBuffer state = checkpoints.restore(checkpoints.manifest(run.runId(), step));
        w = state.getDouble();
        long savedStep = state.getLong();
        if (savedStep != step) {
            throw new SessionFailure.StorageFailed("the checkpoint of step " + step + " holds step " + savedStep, null);
        }
        stepsDone = step;
        return digest();
    }

    @Override
    public StateDigest receiveState(int sourceRank) throws IOException {
        String tag = "state:" + ring.generation() + ":";
        if (ring.rank() == sourceRank) {
            for (int r = 0; r < ring.worldSize(); r++) {
                if (r != sourceRank) {
                    send(ring.endpointsByRank().get(r), tag + Double.doubleToLongBits(w) + ":" + stepsDone);
                }
            }
        } else {
            String[] state = receive(tag, ring.generation(), "the state from rank " + sourceRank).split(":");
            w = Double.longBitsToDouble(Long.parseLong(state[2]));
            stepsDone = Long.parseLong(state[3]);
        }
        return digest();
    }

    @Override
    public StepResult runStep(long step, boolean voteToStop) throws Exception {
        if (ring == null) {
            throw new IllegalStateException("runStep before joinRing");
        }
        if (step != stepsDone) {
            throw new IllegalStateException("asked for step " + step + " but " + stepsDone + " steps are done");
        }
        if (ring.generation() <= abortedUpTo) {
            throw new SessionFailure.RingBroken("ring generation " + ring.generation() + " was aborted", null);
        }
        if (step == haltAtStep && (haltWorker.isEmpty() || haltWorker.equals(worker.name()))) {
            Runtime.getRuntime().halt(3);
        }
        if (step == failAtStep) {
            throw new SessionFailure.ModelFailed("toy failure at step " + step, null);
        }
        long start = System.nanoTime();
        if (stepMillis > 0) {
            Thread.sleep(stepMillis); // simulated compute time
        }
        int b = run.globalBatch();
        int n = ring.worldSize();
        int from = (int) ((long) b * ring.rank() / n);
        int to = (int) ((long) b * (ring.rank() + 1) / n);
        double gradient = 0;
        double lossSum = 0;
        for (int j = 0; j < b; j++) {
            double x = ToyModel.sample(run.seed(), step, j);
            double error = w * x - ToyModel.TARGET * x;
            gradient += 2 * x * error;
            lossSum += error * error;
        }
        w -= run.learningRate() * gradient / b;
        lastLoss = lossSum / b;
        steps++;
        stepsDone++;
        long nanos = System.nanoTime() - start;
        stepNanos += nanos;
        return new StepResult(step, lastLoss, b, to - from, nanos, 0, 0, voteToStop);
    }

    @Override
    public void abort(long generation, String reason) {
        abortedUpTo = Math.max(abortedUpTo, generation);
    }

    private void send(String endpoint, String message) throws IOException {
        String[] hostPort = endpoint.split(":");
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(bytes, bytes.length, new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]))));
    }

    /**
     * The next datagram starting with {@code prefix}, within 10 s. Others are kept for a later call: a peer that
     * finished joining first may send the state before this rank has its predecessor's hello (dropping it failed a
     * join now and then, as a real data plane would not).
     */
    private String receive(String prefix, long generation, String what) throws IOException {
        for (Iterator<String> kept = early.iterator(); kept.hasNext(); ) {
            String text = kept.next();
            if (text.startsWith(prefix)) {
                kept.remove();
                return text;
            }
        }
        byte[] buffer = new byte[256];
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (generation <= abortedUpTo) {
                throw new SessionFailure.RingBroken("ring generation " + generation + " was aborted", null);
            }
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            socket.setSoTimeout(200);
            try {
                socket.receive(packet);
            } catch (SocketTimeoutException e) {
                continue;
            }
            String text = new String(buffer, 0, packet.getLength(), StandardCharsets.UTF_8);
            if (text.startsWith(prefix)) {
                return text;
            }
            if (early.size() == EARLY_LIMIT) {
                early.removeFirst(); // from generations long gone
            }
            early.addLast(text);
        }
        throw new SessionFailure.RingBroken("no " + what + " in ring generation " + generation + " within 10 s", null);
    }

    @Override
    public CompletionStage<SavedShard> saveCheckpoint(long step) {
        ByteBuffer state = ByteBuffer.allocate(16).putDouble(w).putLong(stepsDone).flip();
        CheckpointManifest draft = Checkpoints.draft(run.runId(), step, ring.worldSize(), LAYOUT).build();
        return shards.saveShardAsync(step, ring.rank(), ring.worldSize(), state).thenApply(report -> new SavedShard(report, draft));
    }

    @Override
    public SessionSummary finish() throws IOException {
        if (ring.rank() == 0 && !run.exportParams().isEmpty()) {
            Files.writeString(Path.of(run.exportParams()), Double.toString(w));
        }
        double accuracy = Math.max(0, 1 - Math.abs(w - ToyModel.TARGET) / ToyModel.TARGET);
        return new SessionSummary(lastLoss, OptionalDouble.of(accuracy),
                Map.of("step.ms", steps == 0 ? 0.0 : stepNanos / 1e6 / steps, "w", w));
    }

    @Override
    public void close() {
        socket.close();
        shards.close();
        checkpoints.close();
    }
}
