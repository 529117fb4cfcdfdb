package io.ringtrain.worker.train;

import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J backend's process-wide settings. Call {@link #limitThreads(int)} once at start-up,
 * before the first step.
 *
 * <p>Why limit threads: ND4J sizes its OpenMP and BLAS pools to all cores, and OpenMP threads
 * spin at barriers. With several workers (or other processes) on few cores that oversubscribes
 * the machine and a millisecond op can wait a whole scheduler slice: on a loaded 2-core machine
 * a 2.4 ms step (one thread) took 21 ms median with two. The example model's matrices are small
 * enough that one thread per worker is also the fastest setting when the machine is idle.
 *
 * <p>At run time ND4J lets us lower only the BLAS and "master" thread counts; its elementwise
 * pool keeps the size it read at start-up from {@code OMP_NUM_THREADS}. For a hard cap, start the
 * worker JVM with {@code OMP_NUM_THREADS=n} in its environment as well (a launcher that spawns
 * worker processes should do both).
 */
public final class ComputeBackend {

    private ComputeBackend() {
    }

    /** Caps ND4J's BLAS threads and its op-dispatch ("master") threads at {@code threads}. */
    public static void limitThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("compute threads must be >= 1, was " + threads);
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** One line for logs, e.g. {@code CpuBackend, 1 thread(s), BLAS OPENBLAS with 1 thread(s)}. */
    public static String describe() {
        return Nd4j.getBackend().getClass().getSimpleName() + ", " + Nd4j.getEnvironment().maxThreads()
                + " thread(s), BLAS " + Nd4j.factory().blas().getBlasVendor() + " with "
                + Nd4j.factory().blas().getMaxThreads() + " thread(s)";
    }
}
