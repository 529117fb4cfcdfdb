package io.ringtrain.benchmarks.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.allreduce.WireCompression;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's arguments, its CSV, and the check of what it timed. */
class AllReduceBenchTest {

    private static BenchSettings settings(int world, String transport, String hosts, String linkRate) {
        return BenchSettings.validate(world, List.of("4K", "1M"), transport, "sum", "float32", "none", "0", "0", 0, "3s", null,
                hosts, linkRate, "0", 0);
    }

    private static void assertRefused(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    @Test
    void badArgumentsAreRefusedSayingWhatToUse() {
        assertRefused("--world 0 is out of range: use 1 to 16", () -> settings(0, "udp", "local", null));
        assertRefused("--transport tcp is unknown: use udp or ipc", () -> settings(2, "tcp", "local", null));
        assertRefused("--hosts cloud is unknown", () -> settings(2, "udp", "cloud", null));
        assertRefused("use --transport udp", () -> settings(2, "ipc", "netns", null));
        assertRefused("add --hosts netns", () -> settings(2, "udp", "local", "1gbit"));
        assertRefused("--link-rate fast is not a rate", () -> settings(2, "udp", "netns", "fast"));
        assertRefused("--warmup soon is not a duration", () -> BenchSettings.validate(2, List.of("4K"), "udp", "sum", "float32",
                "none", "0", "0", 0, "soon", null, "local", null, "0", 0));
        assertRefused("--profile heap is unknown", () -> BenchSettings.validate(2, List.of("4K"), "udp", "sum", "float32",
                "none", "0", "0", 0, "1s", "heap", "local", null, "0", 0));
        assertRefused("--loss drops packets between network-namespace hosts: add --hosts netns", () -> BenchSettings.validate(2,
                List.of("4K"), "udp", "sum", "float32", "none", "0", "0", 0, "1s", null, "local", null, "0", 5));
        assertRefused("--loss 100 is out of range", () -> BenchSettings.validate(2, List.of("4K"), "udp", "sum", "float32",
                "none", "0", "0", 0, "1s", null, "netns", null, "0", 100));
        assertRefused("size 2G is out of range", () -> BenchSettings.validate(2, List.of("2G"), "udp", "sum", "float32",
                "none", "0", "0", 0, "1s", null, "local", null, "0", 0));
    }

    @Test
    void linkRatesAreReadAsTcWritesThem() {
        assertEquals(0.125, BenchSettings.parseRate("1gbit"), 1e-12);
        assertEquals(0.0125, BenchSettings.parseRate("100mbit"), 1e-12);
        assertEquals(0.125, settings(2, "udp", "netns", "1gbit").linkGbPerSecond(), 1e-12);
    }

    @Test
    void csvHasOneRowPerSizeInNcclTestsUnits(@TempDir Path dir) throws Exception {
        ResultTable table = new ResultTable(4, DataType.FLOAT32, ReduceOp.SUM, 0);
        // Iteration times of each rank: the slowest rank counts per iteration, then the median.
        table.add(1 << 20, List.of(new RankProtocol.SizeResult(1 << 18, new long[] {1_000_000, 3_000_000, 2_000_000}, 0, 6_000_000, 30),
                new RankProtocol.SizeResult(1 << 18, new long[] {2_000_000, 1_000_000, 1_000_000}, 0, 3_000_000, 30)));
        Path csv = dir.resolve("out.csv");
        table.writeCsv(csv);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("world,size_bytes,count,type,redop,time_us,algbw_gbps,busbw_gbps,wrong,p2p_gbps,cpu_us_all_ranks,"
                + "context_switches_all_ranks", lines.get(0));
        String[] f = lines.get(1).split(",");
        assertEquals(12, f.length);
        assertEquals("4", f[0]);
        assertEquals("1048576", f[1]);
        assertEquals(2000.0, Double.parseDouble(f[5]), 1e-9, "median of the per-iteration maxima (2, 3, 2 ms)");
        double algbw = (1 << 20) / 2000.0 / 1e3;
        assertEquals(algbw, Double.parseDouble(f[6]), 1e-6);
        assertEquals(algbw * 2 * 3 / 4, Double.parseDouble(f[7]), 1e-6, "busbw = algbw * 2(W-1)/W");
        assertEquals(3000.0, Double.parseDouble(f[10]), 1e-9, "CPU of all ranks per iteration");
        assertEquals(20.0, Double.parseDouble(f[11]), 1e-9);
    }

    @Test
    void theCheckOfTimedIterationsCatchesAMisplacedChunk() {
        int world = 3;
        int count = 1000;
        UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(count * 4));
        for (int i = 0; i < count; i++) {
            float sum = 0;
            for (int r = 0; r < world; r++) {
                sum += ExpectedValues.value(r, i, 5);
            }
            buffer.putFloat(i * 4, sum);
        }
        assertEquals(0, ExpectedValues.countWrong(buffer, count, DataType.FLOAT32, ReduceOp.SUM, world, 5, WireCompression.NONE));
        buffer.putFloat(100 * 4, buffer.getFloat(101 * 4));
        assertEquals(1, ExpectedValues.countWrong(buffer, count, DataType.FLOAT32, ReduceOp.SUM, world, 5, WireCompression.NONE));
        assertEquals(count, ExpectedValues.countWrong(new UnsafeBuffer(ByteBuffer.allocateDirect(count * 4)), count,
                DataType.FLOAT32, ReduceOp.SUM, world, 5, WireCompression.NONE), "zeros are wrong");
    }

    @Test
    void chainedIterationsAreCheckedAgainstTheirClosedForm() {
        int world = 4;
        int iterations = ExpectedValues.maxChainedIterations(ReduceOp.SUM, world);
        assertTrue(iterations >= 40 && Math.pow(world, iterations - 1) * 8 * world <= Math.pow(2, 100), "" + iterations);
        int count = 64;
        UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(count * 4));
        for (int i = 0; i < count; i++) {
            double sum = 0;
            for (int r = 0; r < world; r++) {
                sum += ExpectedValues.value(r, i, 0);
            }
            buffer.putFloat(i * 4, (float) (sum * Math.pow(world, 9)));
        }
        assertEquals(0, ExpectedValues.countWrongChained(buffer, count, DataType.FLOAT32, ReduceOp.SUM, world, 10, WireCompression.NONE));
        assertEquals(count, ExpectedValues.countWrongChained(buffer, count, DataType.FLOAT32, ReduceOp.SUM, world, 11,
                WireCompression.NONE), "one iteration off is caught");
    }
}
