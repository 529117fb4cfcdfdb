package io.ringtrain.benchmarks.allreduce;

import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.benchmarks.Charts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * nccl-tests style rows: per iteration the slowest rank's time counts (a collective is done when the last rank
 * is), the row shows the median of those, algbw = size / time and busbw = algbw * 2(W-1)/W, the bytes each
 * link carries, comparable across world sizes and against the point-to-point ceiling.
 */
final class ResultTable {
    /**
     * {@code cpuUs}: CPU time of all rank processes inside the timed collectives, per iteration (filling and checking
     * buffers between iterations left out; the IPC shared driver, in the harness process, not counted); near time x
     * cores means CPU-bound.
     * {@code switches}: context switches of all ranks' threads per iteration (wake-ups and preemptions),
     * including the barrier that starts each iteration unless iterations run back to back.
     */
    record Row(long size, int count, double timeUs, double algbw, double busbw, long wrong, double cpuUs, double switches) {
    }

    private final int world;
    private final DataType type;
    private final ReduceOp op;
    private final double p2p;
    /** The shaped link rate in GB/s, or 0 when links are not shaped. */
    private double linkRate;
    private final List<Row> rows = new ArrayList<>();

    ResultTable(int world, DataType type, ReduceOp op, double p2pGbPerSecond) {
        this.world = world;
        this.type = type;
        this.op = op;
        this.p2p = p2pGbPerSecond;
    }

    ResultTable linkRate(double gbPerSecond) {
        this.linkRate = gbPerSecond;
        return this;
    }

    String header() {
        return String.format(Locale.ROOT, "#%13s %12s %8s %6s %12s %9s %9s %8s%s%n#%13s %12s %8s %6s %12s %9s %9s %8s%s",
                "size", "count", "type", "redop", "time", "algbw", "busbw", "#wrong", (p2p > 0 ? "  busbw/p2p" : "") + "    cpu/iter  csw/iter",
                "(B)", "(elements)", "", "", "(us)", "(GB/s)", "(GB/s)", "", (p2p > 0 ? "           " : "") + "   (us, all)     (all)");
    }

    String add(long size, List<RankProtocol.SizeResult> perRank) {
        int iterations = perRank.get(0).iterationNanos().length;
        long[] slowest = new long[iterations];
        long wrong = 0;
        long cpu = 0;
        long switches = 0;
        for (RankProtocol.SizeResult r : perRank) {
            cpu += r.cpuNanos();
            switches += r.contextSwitches();
            for (int i = 0; i < iterations; i++) {
                slowest[i] = Math.max(slowest[i], r.iterationNanos()[i]);
            }
            wrong += r.wrong();
        }
        Arrays.sort(slowest);
        double timeUs = slowest[iterations / 2] / 1e3;
        double algbw = size / (timeUs * 1e3);
        double busbw = algbw * 2.0 * (world - 1) / world;
        Row row = new Row(size, perRank.get(0).count(), timeUs, algbw, busbw, wrong, cpu / 1e3 / Math.max(1, iterations),
                (double) switches / Math.max(1, iterations));
        rows.add(row);
        return String.format(Locale.ROOT, " %13d %12d %8s %6s %12.1f %9.3f %9.3f %8d%s", size, row.count(),
                type == DataType.FLOAT32 ? "float" : "double", op.name().toLowerCase(Locale.ROOT), timeUs, algbw, busbw, wrong,
                p2p > 0 ? String.format(Locale.ROOT, "  %9.0f%%", 100 * busbw / p2p) : "")
                + String.format(Locale.ROOT, "  %10.1f  %8.1f", row.cpuUs(), row.switches())
                + (linkRate > 0 ? String.format(Locale.ROOT, "  busbw/link %5.1f%%", 100 * busbw / linkRate) : "");
    }

    /**
     * Broadcast from rank 0, timed per iteration on the slowest rank like the all-reduce rows; for broadcast
     * nccl-tests defines busbw = algbw (every link carries the whole buffer once).
     */
    String broadcast(int bytes, List<long[]> perRank) {
        int iterations = perRank.get(0).length;
        long[] slowest = new long[iterations];
        for (long[] times : perRank) {
            for (int i = 0; i < iterations; i++) {
                slowest[i] = Math.max(slowest[i], times[i]);
            }
        }
        Arrays.sort(slowest);
        double timeUs = slowest[iterations / 2] / 1e3;
        double gbps = bytes / (timeUs * 1e3);
        broadcastRow = new double[] {bytes, timeUs, gbps};
        return String.format(Locale.ROOT, "# broadcast of %s from rank 0 to %d ranks: %.1f us, algbw = busbw = %.3f GB/s%s",
                io.ringtrain.allreduce.Sizes.format(bytes), world - 1, timeUs, gbps,
                p2p > 0 ? String.format(Locale.ROOT, " (%.0f%% of point-to-point)", 100 * gbps / p2p) : "");
    }

    private double[] broadcastRow;

    long totalWrong() {
        return rows.stream().mapToLong(Row::wrong).sum();
    }

    /**
     * Per size, the median time without and with loss and their ratio, from two runs of the same sizes in one
     * invocation, and whether both held the exact results.
     */
    static String slowdown(ResultTable lossless, ResultTable lossy, int lossPercent) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "# slowdown with %d %% UDP loss on every host%n#%12s %14s %14s %9s %8s%n", lossPercent, "size (B)",
                "lossless (us)", "lossy (us)", "slowdown", "#wrong"));
        for (int i = 0; i < Math.min(lossless.rows.size(), lossy.rows.size()); i++) {
            Row a = lossless.rows.get(i);
            Row b = lossy.rows.get(i);
            sb.append(String.format(Locale.ROOT, " %12d %14.1f %14.1f %8.2fx %8d%n", a.size(), a.timeUs(), b.timeUs(),
                    b.timeUs() / a.timeUs(), a.wrong() + b.wrong()));
        }
        return sb.toString();
    }

    List<Row> rows() {
        return rows;
    }

    String footer() {
        long wrong = totalWrong();
        double avgBus = rows.stream().mapToDouble(Row::busbw).average().orElse(0);
        return String.format(Locale.ROOT, "# out of bounds values: %d %s%n# avg bus bandwidth: %.3f GB/s", wrong,
                wrong == 0 ? "OK" : "FAILED", avgBus);
    }

    void writeCsv(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("world,size_bytes,count,type,redop,time_us,algbw_gbps,busbw_gbps,wrong,p2p_gbps,cpu_us_all_ranks,context_switches_all_ranks");
        for (Row r : rows) {
            lines.add(String.format(Locale.ROOT, "%d,%d,%d,%s,%s,%.3f,%.6f,%.6f,%d,%.6f,%.1f,%.1f", world, r.size(), r.count(),
                    type.name().toLowerCase(Locale.ROOT), op.name().toLowerCase(Locale.ROOT), r.timeUs(), r.algbw(), r.busbw(),
                    r.wrong(), p2p, r.cpuUs(), r.switches()));
        }
        if (broadcastRow != null) {
            lines.add(String.format(Locale.ROOT, "%d,%d,%d,%s,%s,%.3f,%.6f,%.6f,%d,%.6f,,", world, (long) broadcastRow[0],
                    (long) broadcastRow[0], "bytes", "broadcast", broadcastRow[1], broadcastRow[2], broadcastRow[2], 0, p2p));
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(file, lines);
    }

    void writePlot(Path file, String transport) throws IOException {
        double[] x = rows.stream().mapToDouble(r -> r.size()).toArray();
        double[] y = rows.stream().mapToDouble(Row::busbw).toArray();
        Charts.logXLine(file, "ringtrain all-reduce, W=" + world + " over " + transport, "size (bytes)", "busbw (GB/s)",
                "busbw", x, y, p2p > 0 ? "point-to-point ceiling" : null, p2p);
    }
}
