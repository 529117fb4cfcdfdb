package io.ringtrain.coordinator.launch;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.ringtrain.coordinator.k8s.RunNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pod templates of a run's two StatefulSets: the containers' ringtrain command lines, environment, ports, probes,
 * resources and volumes, and the hardening every ringtrain pod has (non-root, read-only root, no capabilities).
 */
final class PodTemplates {

    /** The uid and home the image creates (k8s/Dockerfile). */
    static final long IMAGE_UID = 10001;
    static final String IMAGE_HOME = "/home/ringtrain";
    /** SIGTERM: the pod leaves the cluster at a step boundary and closes its session (at most 15 + 20 s), then the JVM exits. */
    static final long TERMINATION_GRACE_SECONDS = 45;

    private PodTemplates() {
    }

    static PodTemplateSpec coordinator(TrainingRun run) {
        TrainingRun.Spec s = run.spec();
        TrainingRun.Checkpoints c = s.checkpoints();
        List<String> args = new ArrayList<>(List.of("coordinator", "--bootstrap", "kubernetes", "--host", "$(POD_IP)",
                "--port", Integer.toString(RunNames.CLUSTER_PORT), "--run-id", run.name(), "--model", s.model(),
                "--steps", Long.toString(s.steps()), "--global-batch", Integer.toString(s.globalBatch()), "--seed", Long.toString(s.seed()),
                "--optimizer", s.optimizer(), "--lr", Double.toString(s.learningRate()), "--checkpoint-dir", c.uri(),
                "--checkpoint-every", Long.toString(c.every()), "--resume", c.resume(),
                "--min-workers", Integer.toString(s.workers().min()), "--max-workers", Integer.toString(s.workers().max())));
        if (!c.s3().endpoint().isEmpty()) {
            args.addAll(List.of("--s3-endpoint", c.s3().endpoint()));
        }
        new java.util.TreeMap<>(s.modelOptions()).forEach((k, v) -> args.addAll(List.of("--option", k + "=" + v)));
        // ND4J threads per worker, sent to every worker with the run: the workers' OMP_NUM_THREADS.
        args.addAll(List.of("--option", "compute-threads=" + PodSizing.computeThreads(s)));
        List<EnvVar> env = new ArrayList<>(List.of(field("POD_IP", "status.podIP"), value("RINGTRAIN_SERVICE_NAME", run.name()),
                value("RINGTRAIN_RUN_NAME", run.name()), value("RINGTRAIN_CHECKPOINT_KEEP", Integer.toString(c.keep())),
                value("JAVA_TOOL_OPTIONS", PodSizing.coordinatorJvmOptions(s))));
        env.addAll(storeEnv(c.s3()));
        TrainingRun.Resources r = s.coordinator().resources();
        Container container = new ContainerBuilder().withName(RunNames.COORDINATOR).withImage(s.image())
                .withImagePullPolicy(s.imagePullPolicy()).withArgs(args).withEnv(env).withPorts(clusterPorts())
                .withStartupProbe(probe("/alive", 2, 1, 60)).withLivenessProbe(probe("/alive", 10, 5, 6))
                .withReadinessProbe(probe("/ready", 5, 3, 3))
                .withResources(new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity(r.cpu()))
                        .addToRequests("memory", new Quantity(r.memory())).addToLimits("memory", new Quantity(r.memory())).build())
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .withVolumeMounts(mount("tmp", "/tmp"), mount("home", IMAGE_HOME)).build();
        return template(run, RunNames.COORDINATOR, container, List.of(emptyDir("tmp", "256Mi"), emptyDir("home", "1Gi")),
                s.coordinator().placement(), null);
    }

    static PodTemplateSpec worker(TrainingRun run) {
        TrainingRun.Spec s = run.spec();
        TrainingRun.Workers w = s.workers();
        int dataPort = s.dataPlane().port();
        List<String> args = List.of("worker", "--bootstrap", "kubernetes", "--host", "$(POD_IP)", "--port",
                Integer.toString(RunNames.CLUSTER_PORT), "--name", "$(POD_NAME)", "--ordinal-from-name", "--data-host", "$(POD_IP)",
                "--data-port", Integer.toString(dataPort));
        List<EnvVar> env = new ArrayList<>(List.of(field("POD_IP", "status.podIP"), field("POD_NAME", "metadata.name"),
                value("RINGTRAIN_SERVICE_NAME", run.name()),
                value("OMP_NUM_THREADS", Integer.toString(PodSizing.computeThreads(s))),
                value("JAVA_TOOL_OPTIONS", PodSizing.workerJvmOptions(s))));
        env.addAll(storeEnv(s.checkpoints().s3()));
        List<ContainerPort> ports = new ArrayList<>(clusterPorts());
        ports.add(new ContainerPortBuilder().withName("data-plane").withContainerPort(dataPort).withProtocol("UDP").build());
        Map<String, Quantity> requests = new LinkedHashMap<>();
        requests.put("cpu", new Quantity(w.resources().cpu()));
        requests.put("memory", new Quantity(w.resources().memory()));
        requests.put("ephemeral-storage", new Quantity("1Gi"));
        Map<String, Quantity> limits = new LinkedHashMap<>();
        if (PodSizing.dataPlaneCores(s.dataPlane()) > 0) {
            // Spinning threads need cores of their own: limit = request gives Guaranteed QoS, so a static CPU manager
            // can pin them. Otherwise no CPU limit: CFS throttling stalls OpenMP threads that wait for each other.
            limits.put("cpu", new Quantity(w.resources().cpu()));
        }
        limits.put("memory", new Quantity(w.resources().memory()));
        if (w.resources().gpus() > 0) {
            requests.put("nvidia.com/gpu", new Quantity(Integer.toString(w.resources().gpus())));
            limits.put("nvidia.com/gpu", new Quantity(Integer.toString(w.resources().gpus())));
        }
        Container container = new ContainerBuilder().withName(RunNames.WORKER).withImage(w.image())
                .withImagePullPolicy(s.imagePullPolicy()).withArgs(args).withEnv(env).withPorts(ports)
                .withStartupProbe(probe("/alive", 2, 1, 60)).withLivenessProbe(probe("/alive", 10, 5, 6))
                .withReadinessProbe(probe("/ready", 5, 3, 3))
                .withResources(new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build())
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .withVolumeMounts(mount("dshm", "/dev/shm"), mount("tmp", "/tmp"), mount("home", IMAGE_HOME)).build();
        // Aeron maps its log buffers in /dev/shm; a full one makes it fail almost silently, and the container runtime's
        // default (64 MiB) is not guaranteed. tmpfs pages count against the memory limit (PodSizing leaves room).
        Volume shm = new VolumeBuilder().withName("dshm").withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(new Quantity(PodSizing.shmBytes(s) / PodSizing.MIB + "Mi")).endEmptyDir().build();
        // One rank per node where the cluster has room: ranks on one node share its network and memory bandwidth.
        Affinity spread = new AffinityBuilder().withNewPodAntiAffinity().addNewPreferredDuringSchedulingIgnoredDuringExecution()
                .withWeight(100).withNewPodAffinityTerm().withTopologyKey("kubernetes.io/hostname").withNewLabelSelector()
                .withMatchLabels(RunNames.pods(run.name(), RunNames.WORKER)).endLabelSelector().endPodAffinityTerm()
                .endPreferredDuringSchedulingIgnoredDuringExecution().endPodAntiAffinity().build();
        return template(run, RunNames.WORKER, container, List.of(shm, emptyDir("tmp", "256Mi"), emptyDir("home", "1Gi")),
                w.placement(), spread);
    }

    private static PodTemplateSpec template(TrainingRun run, String component, Container container, List<Volume> volumes,
                                            TrainingRun.Placement placement, Affinity affinity) {
        TrainingRun.Spec s = run.spec();
        PodTemplateSpecBuilder template = new PodTemplateSpecBuilder().withNewMetadata()
                .withLabels(RunRenderer.labels(run, component)).withAnnotations(RunRenderer.annotations(run)).endMetadata();
        var spec = template.withNewSpec().withServiceAccountName(RunNames.run(run.name())).withAutomountServiceAccountToken(true)
                .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(IMAGE_UID).withRunAsGroup(IMAGE_UID).withFsGroup(IMAGE_UID)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .withContainers(container).withVolumes(volumes);
        if (affinity != null) {
            spec.withAffinity(affinity);
        }
        if (!placement.nodeSelector().isEmpty()) {
            spec.withNodeSelector(new java.util.TreeMap<>(placement.nodeSelector()));
        }
        for (TrainingRun.Toleration t : placement.tolerations()) {
            spec.addToTolerations(new TolerationBuilder().withKey(emptyToNull(t.key())).withOperator(t.operator())
                    .withValue(emptyToNull(t.value())).withEffect(emptyToNull(t.effect())).withTolerationSeconds(t.seconds()).build());
        }
        if (!s.priorityClassName().isEmpty()) {
            spec.withPriorityClassName(s.priorityClassName());
        }
        return spec.endSpec().build();
    }

    /** Credentials from the Secret the spec names (required: launch checks it exists), or none: the SDK's default chain. */
    private static List<EnvVar> storeEnv(TrainingRun.S3 s3) {
        List<EnvVar> env = new ArrayList<>(List.of(value("AWS_REGION", s3.region())));
        if (!s3.secret().isEmpty()) {
            for (String key : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
                env.add(new EnvVarBuilder().withName(key).withNewValueFrom().withNewSecretKeyRef().withName(s3.secret()).withKey(key)
                        .withOptional(false).endSecretKeyRef().endValueFrom().build());
            }
        }
        return env;
    }

    private static List<ContainerPort> clusterPorts() {
        return List.of(new ContainerPortBuilder().withName("remoting").withContainerPort(RunNames.CLUSTER_PORT).withProtocol("TCP").build(),
                new ContainerPortBuilder().withName("management").withContainerPort(RunNames.MANAGEMENT_PORT).withProtocol("TCP").build());
    }

    /** Pekko Management's health checks: alive once the node started, ready once it is an Up cluster member. */
    private static Probe probe(String path, int period, int timeout, int failures) {
        ProbeBuilder probe = new ProbeBuilder().withNewHttpGet().withPath(path).withNewPort("management").endHttpGet()
                .withPeriodSeconds(period).withFailureThreshold(failures);
        if (timeout > 1) {
            probe.withTimeoutSeconds(timeout);
        }
        return probe.build();
    }

    private static EnvVar value(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static EnvVar field(String name, String path) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(path).endFieldRef().endValueFrom().build();
    }

    private static VolumeMount mount(String name, String path) {
        return new VolumeMountBuilder().withName(name).withMountPath(path).build();
    }

    private static Volume emptyDir(String name, String size) {
        return new VolumeBuilder().withName(name).withNewEmptyDir().withSizeLimit(new Quantity(size)).endEmptyDir().build();
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
