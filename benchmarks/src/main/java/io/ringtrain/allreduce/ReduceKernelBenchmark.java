package io.ringtrain.allreduce;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The all-reduce inner loop (float32 {@code dst += src} over off-heap memory, as done straight out of Aeron's
 * term buffer) against a plain copy of the same size: the copy is the memory-bandwidth ceiling the kernel is
 * judged by. Lives in the kernels' package to reach them without making them public.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx1g"})
public class ReduceKernelBenchmark {
    @Param("67108864")
    int bytes;

    private UnsafeBuffer dst;
    private UnsafeBuffer src;
    private float[] heapDst;
    private float[] heapSrc;

    @Setup
    public void setUp() {
        dst = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes));
        src = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes));
        heapDst = new float[bytes / 4];
        heapSrc = new float[bytes / 4];
        for (int i = 0; i < bytes / 4; i++) {
            dst.putFloat(i * 4, i);
            src.putFloat(i * 4, 1);
            heapSrc[i] = 1;
        }
    }

    /** The kernel the data plane runs: one read of each input, one write. */
    @Benchmark
    public void sumFloatOffHeap() {
        ElementKernels.sumFloat(null, dst.addressOffset(), null, src.addressOffset(), bytes / 4);
    }

    /** The ceiling: memcpy of the same number of bytes. */
    @Benchmark
    public void copyOffHeap() {
        ElementKernels.copy(null, src.addressOffset(), null, dst.addressOffset(), bytes);
    }

    /** Reference: the same loop over heap arrays, which C2 auto-vectorises. */
    @Benchmark
    public void sumFloatHeapArrays() {
        float[] d = heapDst;
        float[] s = heapSrc;
        for (int i = 0; i < d.length; i++) {
            d[i] += s[i];
        }
    }

    /** bf16 wire format decoded and accumulated into float32. */
    @Benchmark
    public void sumBf16IntoFloat() {
        ElementKernels.sumBf16(null, dst.addressOffset(), null, src.addressOffset(), bytes / 4);
    }
}
