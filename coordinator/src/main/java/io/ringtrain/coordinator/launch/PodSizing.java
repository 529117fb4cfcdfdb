package io.ringtrain.coordinator.launch;

import io.aeron.driver.ThreadingMode;
import io.fabric8.kubernetes.api.model.Quantity;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.allreduce.DataPlaneException;
import io.ringtrain.allreduce.SharedMemoryBudget;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run's pods make of their resources: JVM heap and buffers from the memory limit, /dev/shm from Aeron's terms
 * and the largest ring, ND4J's threads from the cores the data plane leaves. One place, so the limits, the JVM options
 * and the checks that they fit cannot disagree.
 */
final class PodSizing {

    static final long MIB = 1L << 20;
    /** Metaspace, code cache, thread stacks, GC structures: what a JVM uses besides heap and direct buffers. */
    static final long JVM_OVERHEAD_BYTES = 256 * MIB;
    /** /dev/shm's sizeLimit over Aeron's own estimate (SharedMemoryBudget), for what the estimate leaves out. */
    static final double SHM_HEADROOM = 1.5;
    static final long MIN_SHM_BYTES = 64 * MIB;

    private PodSizing() {
    }

    /** The workers' data-plane settings, checked by the data plane itself; messages name the spec's fields. */
    static DataPlaneContext dataPlane(TrainingRun.DataPlane d) {
        try {
            return new DataPlaneContext().endpoint("10.0.0.1:" + d.port()).checkSharedMemory(false)
                    .apply(Map.of("threading", d.threading(), "idle-strategy", d.idleStrategy(), "term-length", d.termLength(),
                            "mtu", d.mtu()), "spec.dataPlane.").conclude();
        } catch (DataPlaneException e) {
            throw new RunSpecException(e.getMessage().replace("spec.dataPlane.idle-strategy", "spec.dataPlane.idleStrategy")
                    .replace("spec.dataPlane.term-length", "spec.dataPlane.termLength"));
        }
    }

    /** Cores the data plane keeps busy besides the compute threads: a busy-spinning thread, a DEDICATED driver's three. */
    static int dataPlaneCores(TrainingRun.DataPlane d) {
        DataPlaneContext ctx = dataPlane(d);
        return ("busy-spin".equals(ctx.idleStrategy()) ? 1 : 0) + (ctx.driverThreading() == ThreadingMode.DEDICATED ? 3 : 0);
    }

    static long bytes(String quantity) {
        return Quantity.getAmountInBytes(new Quantity(quantity)).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
    }

    /** /dev/shm for a worker in a ring of up to {@code workers.max}: headroom over Aeron's need, a power of two in MiB. */
    static long shmBytes(TrainingRun.Spec spec) {
        long need = SharedMemoryBudget.bytesPerRank(dataPlane(spec.dataPlane()), spec.workers().max());
        long mib = (Math.max(MIN_SHM_BYTES, (long) Math.ceil(need * SHM_HEADROOM)) + MIB - 1) / MIB;
        return Long.highestOneBit(mib - 1) * 2 * MIB;
    }

    /** ND4J's OpenMP threads per worker: the requested cores less the data plane's. */
    static int computeThreads(TrainingRun.Spec spec) {
        return wholeCores(spec) - dataPlaneCores(spec.dataPlane());
    }

    private static int wholeCores(TrainingRun.Spec spec) {
        BigDecimal cores = Quantity.getAmountInBytes(new Quantity(spec.workers().resources().cpu()));
        return cores.stripTrailingZeros().scale() <= 0 ? cores.intValueExact() : -1;
    }

    /** Heap 3/8, direct buffers 1/8, ND4J's off-heap 1/4 of the limit; the last quarter holds /dev/shm and the JVM. */
    static String workerJvmOptions(TrainingRun.Spec spec) {
        long memory = bytes(spec.workers().resources().memory());
        TrainingRun.DataPlane d = spec.dataPlane();
        List<String> options = new ArrayList<>(List.of("-Xms" + mib(memory / 8), "-Xmx" + mib(memory * 3 / 8),
                "-XX:MaxDirectMemorySize=" + mib(memory / 8), "-Dorg.bytedeco.javacpp.maxbytes=" + mib(memory / 4),
                "-XX:+ExitOnOutOfMemoryError", "-Dringtrain.aeron.term-length=" + d.termLength()));
        if (d.mtu() != 0) {
            options.add("-Dringtrain.aeron.mtu=" + d.mtu());
        }
        options.add("-Dringtrain.aeron.threading=" + d.threading());
        options.add("-Dringtrain.aeron.idle-strategy=" + d.idleStrategy());
        return String.join(" ", options);
    }

    /** The coordinator does no tensor work: heap 1/2, direct buffers 1/8. */
    static String coordinatorJvmOptions(TrainingRun.Spec spec) {
        long memory = bytes(spec.coordinator().resources().memory());
        return String.join(" ", "-Xms" + mib(memory / 4), "-Xmx" + mib(memory / 2), "-XX:MaxDirectMemorySize=" + mib(memory / 8),
                "-XX:+ExitOnOutOfMemoryError");
    }

    private static String mib(long bytes) {
        return (bytes / MIB) + "m";
    }

    /** The pods' resources suffice for what they will run; messages say how much is needed. */
    static void check(TrainingRun.Spec spec) {
        TrainingRun.Resources worker = spec.workers().resources();
        int dataPlaneCores = dataPlaneCores(spec.dataPlane());
        int cores = wholeCores(spec);
        if (cores < 0) {
            throw new RunSpecException("spec.workers.resources.cpu (" + worker.cpu() + ") must be whole cores: they size each"
                    + " worker's ND4J thread pool");
        }
        if (cores < dataPlaneCores + 1) {
            throw new RunSpecException("spec.workers.resources.cpu (" + worker.cpu() + ") leaves no core for compute: the data plane ("
                    + spec.dataPlane().threading() + ", " + spec.dataPlane().idleStrategy() + ") keeps " + dataPlaneCores
                    + " busy; request at least " + (dataPlaneCores + 1));
        }
        long memory = bytes(worker.memory());
        long needed = 4 * (shmBytes(spec) + JVM_OVERHEAD_BYTES);
        if (memory < needed) {
            throw new RunSpecException(String.format(Locale.ROOT, "spec.workers.resources.memory (%s) is less than the %d Mi a worker"
                    + " needs: heap, direct buffers and ND4J take 3/4 of it, and the rest must hold /dev/shm (%d Mi for %d Mi terms"
                    + " and up to %d workers) and the JVM's own %d Mi", worker.memory(), needed / MIB, shmBytes(spec) / MIB,
                    spec.dataPlane().termLength() / MIB, spec.workers().max(), JVM_OVERHEAD_BYTES / MIB));
        }
        long coordinatorMemory = bytes(spec.coordinator().resources().memory());
        long coordinatorNeeded = JVM_OVERHEAD_BYTES * 8 / 3;
        if (coordinatorMemory < coordinatorNeeded) {
            throw new RunSpecException("spec.coordinator.resources.memory (" + spec.coordinator().resources().memory()
                    + ") is less than the " + (coordinatorNeeded / MIB + 1) + " Mi the coordinator needs");
        }
    }
}
