package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.allreduce.SharedMemoryBudget;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Each pod gets the memory, /dev/shm, CPUs and GPUs its configuration will use. */
@Timeout(30)
class PodResourcesTest {

    static final List<String> VARIANTS = RenderedRun.VARIANTS;
    /** Metaspace, code cache, thread stacks, GC structures: what a JVM uses besides heap and direct buffers. */
    static final long JVM_OVERHEAD_BYTES = 256L << 20;
    /** sizeLimit over Aeron's own estimate (SharedMemoryBudget), for what the estimate leaves out. */
    static final double SHM_HEADROOM = 1.5;

    static long bytes(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity).longValueExact();
    }

    static Volume volumeMountedAt(StatefulSet set, String path) {
        Container container = RenderedRun.container(set);
        VolumeMount mount = container.getVolumeMounts().stream().filter(m -> path.equals(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError(set.getMetadata().getName() + " mounts nothing at " + path));
        return set.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("volume " + mount.getName() + " is mounted but not defined"));
    }

    /** The largest ring a worker will be part of: the most workers the coordinator accepts. */
    static int largestWorld(RenderedRun run) {
        return ParsedCommand.of(new StatefulSetPod(run, run.coordinator(), 0, "10.244.0.2")).<Integer>value("--max-workers");
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void devShmIsAMemoryEmptyDirLargeEnoughForAeronsTermBuffers(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        StatefulSetPod worker = new StatefulSetPod(run, run.workers(), 0, "10.244.1.5");
        EmptyDirVolumeSource shm = volumeMountedAt(run.workers(), "/dev/shm").getEmptyDir();
        assertNotNull(shm, "/dev/shm must be an emptyDir");
        assertEquals("Memory", shm.getMedium(), "Aeron's log buffers must live in memory (tmpfs), not on disk");
        assertNotNull(shm.getSizeLimit(), "a memory emptyDir without sizeLimit may grow to the node's memory");

        int port = ContainerArgsTest.port(run.workers(), "data-plane").getContainerPort();
        DataPlaneContext dataPlane = AeronSettings.of(worker.jvm(), worker.podIp() + ":" + port);
        long need = SharedMemoryBudget.bytesPerRank(dataPlane, largestWorld(run));
        assertTrue(bytes(shm.getSizeLimit()) >= SHM_HEADROOM * need, variant + ": /dev/shm sizeLimit " + shm.getSizeLimit()
                + " is less than " + SHM_HEADROOM + " x the " + (need >> 20) + " MiB a worker with " + (dataPlane.termLength() >> 20)
                + " MiB terms maps in a ring of " + largestWorld(run));
    }

    /** tmpfs pages count against the container's memory limit, like the heap and ND4J's off-heap buffers. */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void theMemoryLimitCoversHeapDirectBuffersOffHeapTensorsAndShm(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : run.all(StatefulSet.class)) {
            Container container = RenderedRun.container(set);
            JvmOptions jvm = new StatefulSetPod(run, set, 0, "10.244.1.5").jvm();
            Quantity limit = container.getResources().getLimits().get("memory");
            assertNotNull(limit, set.getMetadata().getName() + " needs a memory limit: a JVM sizes itself from it");
            assertEquals(limit, container.getResources().getRequests().get("memory"), "memory request = limit: the scheduler reserves what the pod can use");
            long heap = jvm.maxHeapBytes().orElseThrow(() -> new AssertionError(set.getMetadata().getName() + " must set -Xmx"));
            long direct = jvm.maxDirectMemoryBytes().orElseThrow(() -> new AssertionError(set.getMetadata().getName() + " must set -XX:MaxDirectMemorySize"));
            boolean computes = set == run.workers();
            long offHeap = computes ? jvm.javacppMaxBytes().orElse(heap) : 0;
            long shm = computes ? bytes(volumeMountedAt(set, "/dev/shm").getEmptyDir().getSizeLimit()) : 0;
            long need = heap + direct + offHeap + shm + JVM_OVERHEAD_BYTES;
            assertTrue(bytes(limit) >= need, variant + " " + set.getMetadata().getName() + ": memory limit " + limit + " < heap " + (heap >> 20)
                    + " MiB + direct " + (direct >> 20) + " MiB + ND4J off-heap " + (offHeap >> 20) + " MiB + /dev/shm " + (shm >> 20)
                    + " MiB + JVM overhead " + (JVM_OVERHEAD_BYTES >> 20) + " MiB");
        }
    }

    /** OpenMP gets the cores the pod requests, less those the data plane keeps spinning. */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void openMpThreadsAreTheRequestedCoresLessTheDataPlanes(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        StatefulSetPod worker = new StatefulSetPod(run, run.workers(), 0, "10.244.1.5");
        Container container = worker.container();
        BigDecimal cpu = Quantity.getAmountInBytes(container.getResources().getRequests().get("cpu"));
        assertTrue(cpu.stripTrailingZeros().scale() <= 0, "request whole cores for compute threads, got " + cpu);
        int port = ContainerArgsTest.port(run.workers(), "data-plane").getContainerPort();
        int dataPlaneCores = AeronSettings.dataPlaneCores(AeronSettings.of(worker.jvm(), worker.podIp() + ":" + port));
        int omp = Integer.parseInt(worker.environment().get("OMP_NUM_THREADS"));
        assertTrue(omp >= 1, "OMP_NUM_THREADS must be at least 1");
        assertEquals(cpu.intValueExact() - dataPlaneCores, omp, variant + ": " + cpu + " cores requested, " + dataPlaneCores
                + " kept by the data plane");
        Quantity cpuLimit = container.getResources().getLimits().get("cpu");
        if (dataPlaneCores > 0) {
            assertEquals(container.getResources().getRequests().get("cpu"), cpuLimit,
                    "spinning threads need cores of their own: CPU limit = request (Guaranteed QoS, static CPU manager)");
        }
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void onlyTheGpuOverlayRequestsGpusAndOnlyForWorkers(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        boolean gpu = variant.endsWith("gpu");
        Container worker = RenderedRun.container(run.workers());
        Map<String, Quantity> requests = worker.getResources().getRequests();
        Map<String, Quantity> limits = worker.getResources().getLimits();
        if (gpu) {
            assertEquals(new Quantity("1"), limits.get("nvidia.com/gpu"), "one GPU per worker (rank)");
            assertEquals(limits.get("nvidia.com/gpu"), requests.get("nvidia.com/gpu"), "extended resources: request = limit");
            assertTrue(worker.getImage().endsWith("-cuda"), "GPU workers run the CUDA build, got " + worker.getImage());
            var spec = run.workers().getSpec().getTemplate().getSpec();
            assertFalse(spec.getNodeSelector() == null || spec.getNodeSelector().isEmpty(), "GPU workers select GPU nodes");
            assertTrue(spec.getTolerations().stream().anyMatch(t -> "nvidia.com/gpu".equals(t.getKey())), "GPU nodes are usually tainted");
        } else {
            assertFalse(requests.containsKey("nvidia.com/gpu") || limits.containsKey("nvidia.com/gpu"));
            assertFalse(worker.getImage().endsWith("-cuda"));
        }
        Container coordinator = RenderedRun.container(run.coordinator());
        assertFalse(coordinator.getResources().getLimits().containsKey("nvidia.com/gpu"), "the coordinator does no tensor work");
        assertFalse(coordinator.getImage().endsWith("-cuda"), "the coordinator needs no CUDA");
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void imagesArePinnedToAVersion(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : run.all(StatefulSet.class)) {
            Kustomize.ImageRef image = Kustomize.ImageRef.parse(RenderedRun.container(set).getImage());
            assertTrue(image.tag() != null && !image.tag().equals("latest"), set.getMetadata().getName() + ": pin the image tag, got " + image);
        }
    }

    /** SIGTERM leaves the cluster and closes the worker's session; the kubelet must not SIGKILL that half-way. */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void terminationGraceOutlastsALeaveAndClose(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        long workerClose = new StatefulSetPod(run, run.workers(), 0, "10.244.1.5").config().getDuration("ringtrain.worker.close-timeout").toSeconds();
        long coordinatorGrace = new StatefulSetPod(run, run.coordinator(), 0, "10.244.0.2").config()
                .getDuration("ringtrain.coordinator.shutdown-grace").toSeconds();
        long leave = 10; // a graceful leave: gossip to the leader, Exiting, Removed
        assertTrue(run.workers().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds() >= workerClose + leave);
        assertTrue(run.coordinator().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds() >= coordinatorGrace + leave);
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void podsRunAsTheImagesNonRootUserWithWritableScratchOnly(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : run.all(StatefulSet.class)) {
            var podSecurity = set.getSpec().getTemplate().getSpec().getSecurityContext();
            assertEquals(Boolean.TRUE, podSecurity.getRunAsNonRoot());
            assertEquals(DockerfileTest.IMAGE_UID, podSecurity.getRunAsUser(), "the uid the image creates");
            Container container = RenderedRun.container(set);
            assertEquals(Boolean.TRUE, container.getSecurityContext().getReadOnlyRootFilesystem());
            assertEquals(Boolean.FALSE, container.getSecurityContext().getAllowPrivilegeEscalation());
            // The JVM writes /tmp; JavaCPP unpacks ND4J's natives under $HOME.
            assertNotNull(volumeMountedAt(set, "/tmp").getEmptyDir());
            assertNotNull(volumeMountedAt(set, DockerfileTest.IMAGE_HOME).getEmptyDir());
        }
    }

    /**
     * Both roles touch the checkpoint store: workers write shards, the coordinator writes manifests. Credentials come from
     * the Secret the spec names (required: launch checks that it exists first), never from a literal; the endpoint reaches
     * the coordinator's --s3-endpoint, which it sends to the workers with the run.
     */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void storeCredentialsComeFromTheSpecsSecretAndTheEndpointFromTheSpec(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        var store = KustomizeFiles.spec(KustomizeFiles.CPU_SPEC).spec().checkpoints().s3();
        for (StatefulSet set : run.all(StatefulSet.class)) {
            Container container = RenderedRun.container(set);
            for (String key : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
                var var = container.getEnv().stream().filter(e -> key.equals(e.getName())).findFirst()
                        .orElseThrow(() -> new AssertionError(set.getMetadata().getName() + " lacks " + key));
                assertNotNull(var.getValueFrom(), key + " must come from a Secret, never a literal");
                var ref = var.getValueFrom().getSecretKeyRef();
                assertNotNull(ref, key + " must come from a Secret");
                assertEquals(store.secret(), ref.getName());
                assertEquals(key, ref.getKey());
                assertEquals(Boolean.FALSE, ref.getOptional(), "a pod without its credentials must not start and fail later");
            }
            Map<String, String> env = new StatefulSetPod(run, set, 0, "10.244.0.2").environment();
            assertEquals(store.region(), env.get("AWS_REGION"), set.getMetadata().getName() + " needs AWS_REGION");
        }
        ParsedCommand coordinator = ParsedCommand.of(new StatefulSetPod(run, run.coordinator(), 0, "10.244.0.2"));
        assertEquals(store.endpoint(), coordinator.value("--s3-endpoint"));
    }
}
