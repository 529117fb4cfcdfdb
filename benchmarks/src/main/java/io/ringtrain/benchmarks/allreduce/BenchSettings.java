package io.ringtrain.benchmarks.allreduce;

import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.allreduce.Sizes;
import io.ringtrain.allreduce.WireCompression;
import java.util.List;
import java.util.Locale;

/** The all-reduce benchmark's options, validated at the boundary with messages that say what to fix. */
record BenchSettings(long[] sizes, boolean ipc, ReduceOp op, DataType type, WireCompression compression, int termLength,
                     int p2pBytes) {

    static final int MAX_WORLD = 16;

    static BenchSettings validate(int world, List<String> sizeTexts, String transport, String op, String dtype,
                                  String compression, String termLength, String p2pSize) {
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
        return new BenchSettings(sizes, ipc, reduceOp, type, wire, (int) term, (int) p2p);
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String text, String option, String allowed) {
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + text + " is unknown: use " + allowed);
        }
    }

}
