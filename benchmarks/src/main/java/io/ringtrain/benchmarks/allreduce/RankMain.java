package io.ringtrain.benchmarks.allreduce;

import io.ringtrain.allreduce.Communicator;
import io.ringtrain.allreduce.RunToken;
import io.ringtrain.allreduce.DataPlane;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
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
                .endpoint(a.ipc() ? "ipc:" + (2000 + a.rank()) : a.address() + ":0")
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
            Communicator comm = plane.join(2, a.rank(), ring, benchmarkToken(ring, 2));
            boolean first = true;
            for (long size : a.sizes()) {
                out.println(RankProtocol.resultLine(size, runSize(comm, a, (int) size, first)));
                first = false;
            }
            if (a.broadcastBytes() > 0) {
                out.println(RankProtocol.broadcastLine(a.broadcastBytes(), broadcast(comm, a.broadcastBytes())));
            }
            comm.barrier().get(60, TimeUnit.SECONDS);
            System.err.println("driver counters: " + plane.driverCounters());
            // Leave only when the harness has every rank's results: over a lossy link a rank that closed at once
            // could take with it a frame a slower peer still waits for (DataPlane.close() is not a collective).
            String exit = in.readLine();
            if (!RankProtocol.EXIT.equals(exit)) {
                throw new IllegalStateException("expected " + RankProtocol.EXIT + " from the harness, read " + exit);
            }
        }
    }

    /**
     * Broadcast from rank 0 to every rank, as a joining or lagging worker receives the state: each iteration
     * from a barrier, the root's bytes differing by iteration and checked on every rank after it.
     */
    private static long[] broadcast(Communicator comm, int bytes) throws Exception {
        UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes));
        int iterations = RankProtocol.timedIterations(bytes);
        long[] times = new long[iterations];
        for (int it = -2; it < iterations; it++) {
            if (comm.rank() == 0) {
                buffer.setMemory(0, bytes, (byte) (it + 3));
            }
            comm.barrier().get(60, TimeUnit.SECONDS);
            long start = System.nanoTime();
            comm.broadcast(buffer, 0, bytes, 0).get(300, TimeUnit.SECONDS);
            long elapsed = System.nanoTime() - start;
            if (it >= 0) {
                times[it] = elapsed;
            }
            for (int i = 0; i < bytes; i += 4093) {
                if (buffer.getByte(i) != (byte) (it + 3)) {
                    throw new IllegalStateException("broadcast iteration " + it + ": byte " + i + " on rank " + comm.rank()
                            + " is " + buffer.getByte(i) + ", expected " + (byte) (it + 3));
                }
            }
        }
        return times;
    }

    /**
     * The ranks of a benchmark are all handed the same endpoint list and no coordinator: they derive the run token
     * from it. Fine for a benchmark rig; a real run's token is the coordinator's random one.
     */
    static RunToken benchmarkToken(List<String> ring, int generation) {
        long h = 0x6265_6e63_6800_0000L | generation;
        for (String endpoint : ring) {
            h = h * 31 + endpoint.hashCode();
        }
        return new RunToken(h == 0 ? 1 : h);
    }

    /** One-way stream from rank 0 to rank 1 over a 2-rank ring: the transport's own ceiling. */
    private static double pointToPoint(DataPlane plane, RankProtocol.RankArgs a, List<String> ring) throws Exception {
        Communicator pair = plane.join(1, a.rank(), ring.subList(0, 2), benchmarkToken(ring.subList(0, 2), 1));
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

    /** Least warm-up of each size after the first: sizes take paths of their own (direct, ring, hierarchical). */
    private static final long PER_SIZE_WARMUP_MS = 500;
    /** Warm-up ends once no rank's JIT has compiled anything for this long (or at the bound below). */
    private static final long JIT_QUIET_MS = 300;
    /** Bound on warming one size, whatever the JIT does. */
    private static final long MAX_WARMUP_MS = 15_000;

    /**
     * Runs the size's own loop until at least {@code leastMillis} have passed and no rank's JIT compiler has been
     * busy for {@link #JIT_QUIET_MS}. Measured: a sweep that warmed up only on its first size (4 KiB, the direct
     * path) left C2 compiling the ring path during the timed 1 MiB iterations (31 % of a rank's CPU samples there),
     * and 1 MiB then timed 2-5x slower than in a sweep that warmed up on it. The ranks agree by a MAX all-reduce
     * of "still warming", so every rank runs the same number of collectives.
     */
    private static void warmUntilCompiled(Communicator comm, SizeRun run, int iterations, long[] scratch, long leastMillis)
            throws Exception {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean canTell = jit != null && jit.isCompilationTimeMonitoringSupported();
        UnsafeBuffer flag = new UnsafeBuffer(ByteBuffer.allocateDirect(Float.BYTES));
        long start = System.nanoTime();
        long lastCompileNs = start;
        long compiledMs = canTell ? jit.getTotalCompilationTime() : 0;
        while (true) {
            long now = System.nanoTime();
            if (canTell && jit.getTotalCompilationTime() != compiledMs) {
                compiledMs = jit.getTotalCompilationTime();
                lastCompileNs = now;
            }
            boolean warming = now - start < TimeUnit.MILLISECONDS.toNanos(leastMillis)
                    || (canTell && now - lastCompileNs < TimeUnit.MILLISECONDS.toNanos(JIT_QUIET_MS));
            boolean bounded = now - start > TimeUnit.MILLISECONDS.toNanos(MAX_WARMUP_MS);
            flag.putFloat(0, warming && !bounded ? 1f : 0f);
            comm.allReduce(flag, 0, 1, DataType.FLOAT32, ReduceOp.MAX).get(60, TimeUnit.SECONDS);
            if (flag.getFloat(0) == 0f) {
                return;
            }
            run.iterations(Math.min(10, iterations), 1, scratch);
        }
    }

    private static RankProtocol.SizeResult runSize(Communicator comm, RankProtocol.RankArgs a, int bytes, boolean first)
            throws Exception {
        SizeRun run = new SizeRun(comm, a, bytes);
        int iterations = a.iterations() > 0 ? a.iterations() : RankProtocol.timedIterations(bytes);
        if (a.backToBack()) {
            iterations = Math.min(iterations, ExpectedValues.maxChainedIterations(a.op(), comm.worldSize()));
        }
        // Warm-up runs exactly what is timed, so the JIT has compiled that (and not some other loop) when timing
        // starts; before the first size it also lasts long enough for the JIT to finish with the data path, which
        // on a small host takes seconds of compiling while the ranks compete with it for the cores.
        int warmup = RankProtocol.warmupIterations(bytes);
        // Warm-up records its times too: a branch the JIT never saw taken would deoptimise the loop when timing starts.
        long[] scratch = new long[iterations];
        TimedSection.contextSwitches();
        run.iterations(Math.min(warmup, iterations), Math.max(1, warmup / Math.max(1, iterations)), scratch);
        warmUntilCompiled(comm, run, iterations, scratch, first ? a.warmupMillis() : Math.min(a.warmupMillis(), PER_SIZE_WARMUP_MS));
        comm.barrier().get(60, TimeUnit.SECONDS);
        TimedSection section = new TimedSection(a.profileEvent(), a.profileEvent() == null ? null
                : java.nio.file.Path.of(a.profileDirectory(), "w" + a.world() + "-" + (a.ipc() ? "ipc" : "udp") + "-" + bytes
                + "-rank" + a.rank() + "-" + a.profileEvent() + ".collapsed"));
        section.start();
        long[] times = new long[iterations];
        run.collectiveCpuNanos = 0;
        long wrong = run.iterations(iterations, 1, times);
        long cpu = run.collectiveCpuNanos;
        long switches = section.stop();
        comm.barrier().get(60, TimeUnit.SECONDS);
        return new RankProtocol.SizeResult(run.count, times, wrong, cpu, switches);
    }

    /** The timed loop of one size, also run (untimed) to warm up. */
    private static final class SizeRun {
        final Communicator comm;
        final RankProtocol.RankArgs a;
        final DataType type;
        final int count;
        final UnsafeBuffer buffer;
        /**
         * CPU time of this process inside the timed collectives only: filling and checking the buffer between
         * iterations was ~40 % of a rank's CPU samples at 1 MiB, and counting it made the data plane look 2x costlier.
         */
        long collectiveCpuNanos;

        SizeRun(Communicator comm, RankProtocol.RankArgs a, int bytes) {
            this.comm = comm;
            this.a = a;
            this.type = a.dataType();
            this.count = bytes / type.size();
            this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(bytes, 8)));
        }

        /** {@code rounds} times {@code iterations} all-reduces, each one's time in {@code times}; returns the wrong elements. */
        long iterations(int iterations, int rounds, long[] times) throws Exception {
            long wrong = 0;
            for (int round = 0; round < rounds; round++) {
                wrong += a.backToBack() ? backToBack(iterations, times) : fromBarriers(iterations, times);
            }
            return wrong;
        }

        /**
         * Back to back, as a training loop issues them: an iteration ends on a rank once every rank's data has
         * reached it, so consecutive completions keep the ranks in step. Each iteration reduces the previous
         * result, so the last one is checked against the closed form.
         */
        private long backToBack(int iterations, long[] times) throws Exception {
            ExpectedValues.fill(buffer, count, type, comm.rank(), 0);
            comm.barrier().get(60, TimeUnit.SECONDS);
            long cpuStart = processCpuNanos();
            long previous = System.nanoTime();
            for (int it = 0; it < iterations; it++) {
                comm.allReduce(buffer, 0, count, type, a.op(), a.compression()).get(300, TimeUnit.SECONDS);
                long now = System.nanoTime();
                times[it] = now - previous;
                previous = now;
            }
            collectiveCpuNanos += processCpuNanos() - cpuStart;
            return ExpectedValues.countWrongChained(buffer, count, type, a.op(), comm.worldSize(), iterations, a.compression());
        }

        /**
         * Each iteration on its own: every rank enters it from a barrier, so an iteration's slowest rank is the
         * collective's latency when all ranks arrive together. The data differs by rank, element and iteration;
         * it is written before and checked after each timed all-reduce, outside the timing.
         */
        private long fromBarriers(int iterations, long[] times) throws Exception {
            long wrong = 0;
            for (int it = 0; it < iterations; it++) {
                ExpectedValues.fill(buffer, count, type, comm.rank(), it);
                comm.barrier().get(60, TimeUnit.SECONDS);
                long cpuStart = processCpuNanos();
                long start = System.nanoTime();
                comm.allReduce(buffer, 0, count, type, a.op(), a.compression()).get(300, TimeUnit.SECONDS);
                times[it] = System.nanoTime() - start;
                collectiveCpuNanos += processCpuNanos() - cpuStart;
                wrong += ExpectedValues.countWrong(buffer, count, type, a.op(), comm.worldSize(), it, a.compression());
            }
            return wrong;
        }
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private static long processCpuNanos() {
        return OS.getProcessCpuTime();
    }
}
