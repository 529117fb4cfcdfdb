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
        return Math.floorMod(rank + element + iteration, 8) + 1;
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

    /** Number of elements that differ from the exact result (AVG and bf16 AVG allow their rounding). */
    static long countWrong(UnsafeBuffer buffer, int count, DataType type, ReduceOp op, int world, int iteration,
                           WireCompression compression) {
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
        double tolerance = op != ReduceOp.AVG ? 0 : compression == WireCompression.BF16 ? 1.0 / 128 : 1e-6;
        long wrong = 0;
        for (int i = 0; i < count; i++) {
            double expected = expectedByPhase[Math.floorMod(i, 8)];
            double actual = type == DataType.FLOAT32 ? buffer.getFloat(i * 4) : buffer.getDouble(i * 8);
            if (Math.abs(actual - expected) > tolerance * expected) {
                wrong++;
            }
        }
        return wrong;
    }
}
