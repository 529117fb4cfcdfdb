package io.ringtrain.benchmarks.allreduce;

import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.allreduce.Sizes;
import io.ringtrain.allreduce.WireCompression;
import java.util.List;
import java.util.Locale;

/** The all-reduce benchmark's options, validated at the boundary with messages that say what to fix. */
record BenchSettings(long[] sizes, boolean ipc, ReduceOp op, DataType type, WireCompression compression, int termLength,
                     int p2pBytes, int iterations, long warmupMillis, boolean netns, double linkGbPerSecond,
                     int broadcastBytes, int lossPercent) {

    static final int MAX_WORLD = 16;

    static BenchSettings validate(int world, List<String> sizeTexts, String transport, String op, String dtype,
                                  String compression, String termLength, String p2pSize, int iterations, String warmup,
                                  String profile, String hosts, String linkRate, String broadcastSize, int loss) {
        if (world < 1 || world > MAX_WORLD) {
            throw new IllegalArgumentException("--world " + world + " is out of range: use 1 to " + MAX_WORLD);
        }
        boolean ipc = switch (transport.toLowerCase(Locale.ROOT)) {
            case "udp" -> false;
            case "ipc" -> true;
            default -> throw new IllegalArgumentException("--transport " + transport + " is unknown: use udp or ipc");
        };
        ReduceOp reduceOp = parseEnum(ReduceOp.class, op, "--op", "sum, avg, min or max");
        DataType type = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "float32", "float" -> DataType.FLOAT32;
            case "float64", "double" -> DataType.FLOAT64;
            default -> throw new IllegalArgumentException("--dtype " + dtype + " is unknown: use float32 or float64");
        };
        WireCompression wire = parseEnum(WireCompression.class, compression, "--compression", "none or bf16");
        if (wire == WireCompression.BF16 && type != DataType.FLOAT32) {
            throw new IllegalArgumentException("--compression bf16 needs --dtype float32");
        }
        long[] sizes = new long[sizeTexts.size()];
        for (int i = 0; i < sizes.length; i++) {
            long size = Sizes.parse(sizeTexts.get(i));
            if (size < type.size() || size > (1L << 30)) {
                throw new IllegalArgumentException("size " + sizeTexts.get(i) + " is out of range: use " + type.size()
                        + " bytes to 1G");
            }
            sizes[i] = size - size % type.size();
        }
        if (sizes.length == 0) {
            throw new IllegalArgumentException("--sizes is empty: give at least one size, e.g. --sizes 4K,1M");
        }
        long term = Sizes.parse(termLength);
        if (term == 0) {
            term = ipc ? 32L << 20 : 4L << 20;
        }
        long p2p = Sizes.parse(p2pSize);
        if (p2p > (1L << 30)) {
            throw new IllegalArgumentException("--p2p-size " + p2pSize + " is too large: at most 1G");
        }
        if (iterations < 0 || iterations > 100_000) {
            throw new IllegalArgumentException("--iterations " + iterations + " is out of range: use 0 (by size) to 100000");
        }
        long warmupMillis = parseDuration(warmup, "--warmup");
        if (profile != null && !List.of("cpu", "wall", "alloc", "lock").contains(profile)) {
            throw new IllegalArgumentException("--profile " + profile + " is unknown: use cpu, wall, alloc or lock");
        }
        boolean netns = switch (hosts.toLowerCase(Locale.ROOT)) {
            case "local" -> false;
            case "netns" -> true;
            default -> throw new IllegalArgumentException("--hosts " + hosts + " is unknown: use local or netns");
        };
        if (netns && ipc) {
            throw new IllegalArgumentException("--hosts netns puts every rank on a host of its own: use --transport udp");
        }
        if (linkRate != null && !netns) {
            throw new IllegalArgumentException("--link-rate shapes the links between network-namespace hosts: add --hosts netns");
        }
        if (loss != 0 && !netns) {
            throw new IllegalArgumentException("--loss drops packets between network-namespace hosts: add --hosts netns");
        }
        if (loss < 0 || loss > 99) {
            throw new IllegalArgumentException("--loss " + loss + " is out of range: a whole percentage from 1 to 99 (0: none)");
        }
        long broadcast = Sizes.parse(broadcastSize);
        if (broadcast > (1L << 30)) {
            throw new IllegalArgumentException("--broadcast-size " + broadcastSize + " is too large: at most 1G");
        }
        return new BenchSettings(sizes, ipc, reduceOp, type, wire, (int) term, (int) p2p, iterations, warmupMillis, netns,
                linkRate == null ? 0 : parseRate(linkRate), (int) broadcast, loss);
    }

    /** A tc rate ({@code 1gbit}, {@code 100mbit}, {@code 500kbit}, {@code 1000000bit}) in GB/s. */
    static double parseRate(String rate) {
        String r = rate.trim().toLowerCase(Locale.ROOT);
        long unit = r.endsWith("gbit") ? 1_000_000_000L : r.endsWith("mbit") ? 1_000_000L : r.endsWith("kbit") ? 1_000L
                : r.endsWith("bit") ? 1 : 0;
        try {
            double value = Double.parseDouble(r.substring(0, r.length() - (unit == 1 ? 3 : 4)));
            if (unit > 0 && value > 0) {
                return value * unit / 8 / 1e9;
            }
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            // reported below
        }
        throw new IllegalArgumentException("--link-rate " + rate + " is not a rate: write e.g. 1gbit or 100mbit");
    }

    /** {@code 500ms}, {@code 3s} or {@code 0}, in milliseconds. */
    static long parseDuration(String text, String option) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            long value = t.endsWith("ms") ? Long.parseLong(t.substring(0, t.length() - 2))
                    : t.endsWith("s") ? Math.multiplyExact(Long.parseLong(t.substring(0, t.length() - 1)), 1000)
                    : t.equals("0") ? 0 : -1;
            if (value >= 0 && value <= 600_000) {
                return value;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " " + text + " is not a duration of 0 to 600 s: write e.g. 500ms or 3s");
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String text, String option, String allowed) {
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + text + " is unknown: use " + allowed);
        }
    }

}
