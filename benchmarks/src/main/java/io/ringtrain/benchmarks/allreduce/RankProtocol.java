package io.ringtrain.benchmarks.allreduce;

import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.allreduce.WireCompression;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The line protocol between the benchmark harness and its rank processes, and the iteration counts both sides
 * derive from a size (every rank must run the same number of collectives).
 */
final class RankProtocol {
    static final String ENDPOINT = "ENDPOINT ";
    static final String RING = "RING ";
    static final String P2P = "P2P ";
    static final String RESULT = "RESULT ";
    static final String BROADCAST = "BROADCAST ";
    /** From the harness, once it has read every rank's last line: the rank may close its data plane. */
    static final String EXIT = "EXIT";

    private RankProtocol() {
    }

    /**
     * Warm-up lets the JIT compile the data path before timing: at least 2 iterations, and up to 500 for small
     * buffers, where an interpreted frame costs more than the transfer.
     */
    static int warmupIterations(long bytes) {
        return (int) Math.max(2, Math.min(500, (32L << 20) / Math.max(1, bytes)));
    }

    /** Enough iterations for a stable median, few enough that a 256 MiB sweep stays within a few minutes. */
    static int timedIterations(long bytes) {
        return (int) Math.max(5, Math.min(100, (512L << 20) / Math.max(1, bytes)));
    }

    /** Arguments of a rank process, as the harness passes them on its command line. */
    record RankArgs(int rank, int world, long[] sizes, boolean ipc, String driverDirectory, ReduceOp op, DataType dataType,
                    WireCompression compression, int mtu, int termLength, int p2pBytes, boolean backToBack,
                    String profileEvent, String profileDirectory, int iterations, long warmupMillis, String address,
                    int broadcastBytes) {

        List<String> toArgs() {
            List<String> args = new ArrayList<>();
            args.addAll(List.of("--rank", "" + rank, "--world", "" + world, "--sizes", join(sizes), "--transport", ipc ? "ipc" : "udp",
                    "--op", op.name(), "--dtype", dataType.name(), "--compression", compression.name(), "--mtu", "" + mtu,
                    "--term", "" + termLength, "--p2p-bytes", "" + p2pBytes, "--back-to-back", "" + backToBack,
                    "--iterations", "" + iterations, "--warmup-ms", "" + warmupMillis, "--address", address,
                    "--broadcast-bytes", "" + broadcastBytes));
            if (driverDirectory != null) {
                args.addAll(List.of("--driver-dir", driverDirectory));
            }
            if (profileEvent != null) {
                args.addAll(List.of("--profile", profileEvent, "--profile-dir", profileDirectory));
            }
            return args;
        }

        static RankArgs parse(String[] args) {
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i + 1 < args.length; i += 2) {
                m.put(args[i], args[i + 1]);
            }
            return new RankArgs(Integer.parseInt(m.get("--rank")), Integer.parseInt(m.get("--world")),
                    Arrays.stream(m.get("--sizes").split(",")).mapToLong(Long::parseLong).toArray(),
                    "ipc".equals(m.get("--transport")), m.get("--driver-dir"), ReduceOp.valueOf(m.get("--op")),
                    DataType.valueOf(m.get("--dtype")), WireCompression.valueOf(m.get("--compression")),
                    Integer.parseInt(m.get("--mtu")), Integer.parseInt(m.get("--term")), Integer.parseInt(m.get("--p2p-bytes")),
                    Boolean.parseBoolean(m.get("--back-to-back")), m.get("--profile"), m.get("--profile-dir"),
                    Integer.parseInt(m.get("--iterations")), Long.parseLong(m.get("--warmup-ms")), m.get("--address"),
                    Integer.parseInt(m.get("--broadcast-bytes")));
        }
    }

    /**
     * What a rank measured for one size: every timed iteration, how many elements were wrong, and the CPU time
     * its process used during the timed iterations (all threads), to tell CPU-bound from waiting, and the context
     * switches of all its threads during them (wake-ups and preemptions).
     */
    record SizeResult(int count, long[] iterationNanos, long wrong, long cpuNanos, long contextSwitches) {
    }

    static String endpointLine(String endpoint) {
        return ENDPOINT + endpoint;
    }

    static String ringLine(List<String> endpoints) {
        return RING + String.join(",", endpoints);
    }

    static List<String> parseRing(String line) {
        if (line == null || !line.startsWith(RING)) {
            throw new IllegalStateException("expected the ring from the harness, got: " + line);
        }
        return List.of(line.substring(RING.length()).split(","));
    }

    static String broadcastLine(int bytes, long[] iterationNanos) {
        return BROADCAST + bytes + " " + join(iterationNanos);
    }

    static long[] parseBroadcast(String rest) {
        String[] f = rest.split(" ", 2);
        return parseLongs(f.length > 1 ? f[1] : "");
    }

    static String p2pLine(double gbPerSecond) {
        return P2P + gbPerSecond;
    }

    static String resultLine(long size, SizeResult r) {
        return RESULT + size + " " + r.count() + " " + r.wrong() + " " + r.cpuNanos() + " " + r.contextSwitches() + " "
                + join(r.iterationNanos());
    }

    static SizeResult parseResult(String rest) {
        String[] f = rest.split(" ", 6);
        return new SizeResult(Integer.parseInt(f[1]), parseLongs(f.length > 5 ? f[5] : ""), Long.parseLong(f[2]),
                Long.parseLong(f[3]), Long.parseLong(f[4]));
    }

    static long[] parseLongs(String csv) {
        return csv.isEmpty() ? new long[0] : Arrays.stream(csv.split(",")).mapToLong(Long::parseLong).toArray();
    }

    private static String join(long[] values) {
        StringBuilder sb = new StringBuilder();
        for (long v : values) {
            sb.append(sb.length() == 0 ? "" : ",").append(v);
        }
        return sb.toString();
    }
}
