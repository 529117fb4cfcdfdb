package io.ringtrain.benchmarks.allreduce;

import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.allreduce.WireCompression;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Inputs whose reductions are exact in float32 and even in bfloat16: small integers 1..8 that change with rank,
 * element and iteration, so a stale or misplaced chunk is caught. Sums stay below 256 for up to 32 ranks.
 */
final class ExpectedValues {
    private ExpectedValues() {
    }

    static int value(int rank, int element, int iteration) {
        return ((rank + element + iteration) & 7) + 1; // floorMod(x, 8) for every int; Math.floorMod was 20 % of a rank's samples
    }

    static void fill(UnsafeBuffer buffer, int count, DataType type, int rank, int iteration) {
        for (int i = 0; i < count; i++) {
            if (type == DataType.FLOAT32) {
                buffer.putFloat(i * 4, value(rank, i, iteration));
            } else {
                buffer.putDouble(i * 8, value(rank, i, iteration));
            }
        }
    }

    /** The exact reduction of every rank's values at each of the pattern's 8 phases (element mod 8). */
    private static double[] reducedByPhase(ReduceOp op, int world, int iteration) {
        double[] expectedByPhase = new double[8];
        for (int phase = 0; phase < 8; phase++) {
            double acc = op == ReduceOp.MIN ? Double.MAX_VALUE : op == ReduceOp.MAX ? -Double.MAX_VALUE : 0;
            for (int r = 0; r < world; r++) {
                double v = value(r, phase, iteration);
                acc = switch (op) {
                    case SUM, AVG -> acc + v;
                    case MIN -> Math.min(acc, v);
                    case MAX -> Math.max(acc, v);
                };
            }
            expectedByPhase[phase] = op == ReduceOp.AVG ? acc / world : acc;
        }
        return expectedByPhase;
    }

    /** Number of elements that differ from the exact result (AVG and bf16 AVG allow their rounding). */
    static long countWrong(UnsafeBuffer buffer, int count, DataType type, ReduceOp op, int world, int iteration,
                           WireCompression compression) {
        double[] expectedByPhase = reducedByPhase(op, world, iteration);
        double tolerance = op != ReduceOp.AVG ? 0 : compression == WireCompression.BF16 ? 1.0 / 128 : 1e-6;
        long wrong = 0;
        for (int i = 0; i < count; i++) {
            double expected = expectedByPhase[i & 7];
            double actual = type == DataType.FLOAT32 ? buffer.getFloat(i * 4) : buffer.getDouble(i * 8);
            if (Math.abs(actual - expected) > tolerance * expected) {
                wrong++;
            }
        }
        return wrong;
    }

    /**
     * Back-to-back iterations reduce the previous result, so SUM multiplies it by W each time: at most this many
     * keep every value below 2^100 (finite, and far from float32's limit), the others are stable.
     */
    static int maxChainedIterations(ReduceOp op, int world) {
        if (op != ReduceOp.SUM || world < 2) {
            return Integer.MAX_VALUE;
        }
        double log2Sum = Math.log(8.0 * world) / Math.log(2);
        return (int) Math.max(1, Math.floor((100 - log2Sum) / (Math.log(world) / Math.log(2))) + 1);
    }

    /**
     * Elements wrong after {@code iterations} chained all-reduces of the iteration-0 pattern: the first gives the
     * reduction R, each later one reduces W copies of the previous result (SUM: W^(k-1) R; the others: R).
     * Float rounding grows with every chained step once W^k outgrows the mantissa, so the tolerance grows with
     * k; a misplaced chunk is off by at least 1/(8W), far beyond it.
     */
    static long countWrongChained(UnsafeBuffer buffer, int count, DataType type, ReduceOp op, int world, int iterations,
                                  WireCompression compression) {
        double[] expectedByPhase = reducedByPhase(op, world, 0);
        if (op == ReduceOp.SUM) {
            for (int phase = 0; phase < 8; phase++) {
                expectedByPhase[phase] *= Math.pow(world, iterations - 1);
            }
        }
        double perStep = compression == WireCompression.BF16 ? 1.0 / 256 : type == DataType.FLOAT32 ? 1.0 / (1 << 22) : 1e-14;
        double tolerance = Math.min(1.0 / (16 * world), perStep * iterations * 2);
        long wrong = 0;
        for (int i = 0; i < count; i++) {
            double expected = expectedByPhase[i & 7];
            double actual = type == DataType.FLOAT32 ? buffer.getFloat(i * 4) : buffer.getDouble(i * 8);
            if (!(Math.abs(actual - expected) <= tolerance * Math.abs(expected))) {
                wrong++;
            }
        }
        return wrong;
    }
}
