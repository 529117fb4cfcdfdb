package io.ringtrain.benchmarks.allreduce;

import io.ringtrain.allreduce.Communicator;
import io.ringtrain.allreduce.DataPlane;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.allreduce.DataType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One rank of the all-reduce benchmark, in its own JVM like a pod. It talks to the harness over stdin/stdout
 * with {@link RankProtocol} lines: it announces its endpoint, receives the ring, runs the point-to-point probe
 * and every size, and prints one result line per size.
 */
public final class RankMain {
    private RankMain() {
    }

    public static void main(String[] args) throws Exception {
        RankProtocol.RankArgs a = RankProtocol.RankArgs.parse(args);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        DataPlaneContext ctx = new DataPlaneContext()
                .endpoint(a.ipc() ? "ipc:" + (2000 + a.rank()) : "127.0.0.1:0")
                .ranksOnHost(a.world())
                .threadName("rank-" + a.rank());
        if (a.ipc()) {
            ctx.embeddedDriver(false).aeronDirectoryName(a.driverDirectory());
        }
        if (a.mtu() > 0) {
            ctx.mtuLength(a.mtu());
        }
        if (a.termLength() > 0) {
            ctx.termLength(a.termLength());
        }
        try (DataPlane plane = DataPlane.launch(ctx)) {
            out.println(RankProtocol.endpointLine(plane.endpoint()));
            List<String> ring = RankProtocol.parseRing(in.readLine());
            if (a.p2pBytes() > 0 && a.rank() < 2) {
                out.println(RankProtocol.p2pLine(pointToPoint(plane, a, ring)));
            }
            Communicator comm = plane.join(2, a.rank(), ring);
            for (long size : a.sizes()) {
                out.println(RankProtocol.resultLine(size, runSize(comm, a, (int) size)));
            }
            comm.barrier().get(60, TimeUnit.SECONDS);
            System.err.println("driver counters: " + plane.driverCounters());
        }
    }

    /** One-way stream from rank 0 to rank 1 over a 2-rank ring: the transport's own ceiling. */
    private static double pointToPoint(DataPlane plane, RankProtocol.RankArgs a, List<String> ring) throws Exception {
        Communicator pair = plane.join(1, a.rank(), ring.subList(0, 2));
        UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(a.p2pBytes()));
        double best = 0;
        for (int i = 0; i < 5; i++) {
            pair.barrier().get(60, TimeUnit.SECONDS);
            long start = System.nanoTime();
            pair.broadcast(buffer, 0, a.p2pBytes(), 0).get(120, TimeUnit.SECONDS);
            long elapsed = System.nanoTime() - start;
            if (a.rank() == 1 && i > 0) {
                best = Math.max(best, a.p2pBytes() / (elapsed / 1e9) / 1e9);
            }
        }
        pair.barrier().get(60, TimeUnit.SECONDS);
        pair.close();
        return best;
    }

    /** Validated iterations per size, after the timed ones: enough to catch a stale or misplaced chunk. */
    private static final int VALIDATED_ITERATIONS = 2;

    private static RankProtocol.SizeResult runSize(Communicator comm, RankProtocol.RankArgs a, int bytes) throws Exception {
        DataType type = a.dataType();
        int count = bytes / type.size();
        UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(bytes, 8)));
        int iterations = RankProtocol.timedIterations(bytes);
        long[] times = new long[iterations];

        // Zeros stay zeros under every op, so values never overflow however often they are reduced.
        buffer.setMemory(0, buffer.capacity(), (byte) 0);
        for (int it = 0; it < RankProtocol.warmupIterations(bytes); it++) {
            comm.allReduce(buffer, 0, count, type, a.op(), a.compression()).get(300, TimeUnit.SECONDS);
        }
        comm.barrier().get(60, TimeUnit.SECONDS);
        long cpuStart = processCpuNanos();
        if (a.backToBack()) {
            // Back to back, as a training loop issues them: an iteration ends on a rank once every rank's data
            // has reached it, so consecutive completions keep the ranks in step.
            long previous = System.nanoTime();
            for (int it = 0; it < iterations; it++) {
                comm.allReduce(buffer, 0, count, type, a.op(), a.compression()).get(300, TimeUnit.SECONDS);
                long now = System.nanoTime();
                times[it] = now - previous;
                previous = now;
            }
        } else {
            // Each iteration on its own: every rank enters it from a barrier, so an iteration's slowest rank is
            // the collective's latency when all ranks arrive together.
            for (int it = 0; it < iterations; it++) {
                comm.barrier().get(60, TimeUnit.SECONDS);
                long start = System.nanoTime();
                comm.allReduce(buffer, 0, count, type, a.op(), a.compression()).get(300, TimeUnit.SECONDS);
                times[it] = System.nanoTime() - start;
            }
        }
        long cpu = processCpuNanos() - cpuStart;
        comm.barrier().get(60, TimeUnit.SECONDS);

        // Validated: values that differ by rank, element and iteration, checked once every rank is done.
        long wrong = 0;
        for (int it = 0; it < VALIDATED_ITERATIONS; it++) {
            ExpectedValues.fill(buffer, count, type, comm.rank(), it);
            comm.barrier().get(60, TimeUnit.SECONDS);
            comm.allReduce(buffer, 0, count, type, a.op(), a.compression()).get(300, TimeUnit.SECONDS);
            comm.barrier().get(60, TimeUnit.SECONDS);
            wrong += ExpectedValues.countWrong(buffer, count, type, a.op(), comm.worldSize(), it, a.compression());
        }
        return new RankProtocol.SizeResult(count, Arrays.stream(times).toArray(), wrong, cpu);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
