package io.ringtrain.coordinator.kube;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The StatefulSet controller and the kubelet for one namespace of an {@link EmulatedApiServer}, reconciling every
 * 500 ms: every StatefulSet gets its pods 0..replicas-1 (all at once, as podManagementPolicy Parallel does), each a
 * local process ({@link EmulatedPod}) with an address of its own on the loopback network (127.77.x.y); a container
 * that exits is started again (restartPolicy Always) after the kubelet's first back-off (10 s) and its termination is
 * written to the pod's status; a pod deleted by anyone, or beyond its StatefulSet's replicas, or whose StatefulSet is gone, has its process
 * stopped with SIGTERM (killed after the pod's grace period) and, if still wanted, is created anew once stopped;
 * readiness comes from the pod's real readiness probe endpoint. Pod logs are served to the API server.
 *
 * <p>Not emulated: scheduling and nodes, resource limits, volumes (a pod's /tmp and /dev/shm are the host's), images,
 * network policies, DNS; every pod shares this host's loopback network.
 */
public final class PodRunner implements AutoCloseable {

    /** The kubelet's first CrashLoopBackOff delay. */
    private static final Duration BACKOFF = Duration.ofSeconds(10);
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(750);

    private final EmulatedApiServer server;
    private final KubernetesClient client;
    private final String namespace;
    private final Path dir;
    private final String subnet;
    private final AtomicInteger nextHost = new AtomicInteger(10);
    private final Map<String, EmulatedPod> pods = new ConcurrentHashMap<>();
    private final Map<EmulatedPod, Instant> stopping = new ConcurrentHashMap<>();
    private final Map<String, Boolean> ready = new HashMap<>();
    private final Map<String, String> logs = new ConcurrentHashMap<>();
    private final List<String> events = new CopyOnWriteArrayList<>() {
        @Override
        public boolean add(String event) {
            return super.add(String.format("%5.1f s  %s", (System.nanoTime() - started) / 1e9, event));
        }
    };
    private final long started = System.nanoTime();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "emulated-kubelet");
        t.setDaemon(true);
        return t;
    });
    private Instant lastProbe = Instant.EPOCH;
    /** CPU seconds of every pod process, last sampled (a process that exited keeps its last sample). */
    private final Map<Long, Double> cpu = new ConcurrentHashMap<>();

    private PodRunner(EmulatedApiServer server, String namespace, Path dir) {
        this.server = server;
        this.client = server.client();
        this.namespace = namespace;
        this.dir = dir;
        this.subnet = "127.77." + ThreadLocalRandom.current().nextInt(1, 255) + ".";
        server.logs((ns, pod) -> ns.equals(namespace) ? logOf(pod) : null);
    }

    public static PodRunner start(EmulatedApiServer server, String namespace, Path dir) {
        PodRunner runner = new PodRunner(server, namespace, dir);
        runner.loop.scheduleWithFixedDelay(runner::reconcileSafely, 0, 500, TimeUnit.MILLISECONDS);
        return runner;
    }

    /** What the runner did, in order ("started pod r-worker-0 at 127.77.3.11"), for the test's transcript. */
    public List<String> events() {
        return List.copyOf(events);
    }

    /** Every pod's log (the current or last incarnation's), for a failed test's report. */
    public String allLogs() {
        StringBuilder out = new StringBuilder();
        Map<String, String> all = new java.util.TreeMap<>(logs);
        pods.forEach((name, pod) -> all.put(name, pod.logText()));
        all.forEach((name, log) -> out.append("---- ").append(name).append(" ----\n").append(log));
        return out.toString();
    }

    /** CPU seconds the pods' processes used, as last sampled (every 750 ms while they ran). */
    public double cpuSeconds() {
        return cpu.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** The process now running as {@code pod}, if any. */
    public ProcessHandle process(String pod) {
        EmulatedPod p = pods.get(pod);
        return p == null || p.process() == null ? null : p.process().toHandle();
    }

    private String logOf(String pod) {
        EmulatedPod p = pods.get(pod);
        return p != null ? p.logText() : logs.get(pod);
    }

    private void reconcileSafely() {
        try {
            reconcile();
        } catch (RuntimeException e) {
            events.add("reconcile failed: " + e);
        }
    }

    private void reconcile() {
        Map<String, StatefulSet> sets = new HashMap<>();
        client.apps().statefulSets().inNamespace(namespace).list().getItems().forEach(s -> sets.put(s.getMetadata().getName(), s));
        java.util.Set<String> onServerNames = new java.util.HashSet<>();
        client.pods().inNamespace(namespace).list().getItems().forEach(p -> onServerNames.add(p.getMetadata().getName()));
        for (EmulatedPod pod : new ArrayList<>(pods.values())) {
            StatefulSet set = sets.get(pod.setName);
            boolean wanted = set != null && pod.ordinal < replicas(set);
            boolean onServer = onServerNames.contains(pod.name);
            if (!wanted || !onServer) {
                if (onServer) {
                    client.pods().inNamespace(namespace).withName(pod.name).delete();
                }
                stop(pod, set == null ? "its StatefulSet is gone" : !wanted ? "scaled down" : "its pod was deleted");
            }
        }
        for (StatefulSet set : sets.values()) {
            for (int ordinal = 0; ordinal < replicas(set); ordinal++) {
                String name = set.getMetadata().getName() + "-" + ordinal;
                boolean beingStopped = stopping.keySet().stream().anyMatch(p -> p.name.equals(name));
                if (!pods.containsKey(name) && !beingStopped) {
                    create(set, ordinal);
                }
            }
        }
        for (EmulatedPod pod : pods.values()) {
            restartIfExited(pod);
        }
        stopping.forEach((pod, deadline) -> {
            if (!pod.running()) {
                stopping.remove(pod);
                logs.put(pod.name, pod.logText());
                events.add("pod " + pod.name + " stopped");
            } else if (Instant.now().isAfter(deadline)) {
                pod.kill();
            }
        });
        if (Duration.between(lastProbe, Instant.now()).compareTo(PROBE_INTERVAL) >= 0) {
            lastProbe = Instant.now();
            probe(sets);
        }
    }

    private static int replicas(StatefulSet set) {
        return set.getSpec().getReplicas() == null ? 1 : set.getSpec().getReplicas();
    }

    private void create(StatefulSet set, int ordinal) {
        String ip = subnet + nextHost.getAndIncrement();
        EmulatedPod pod;
        try {
            pod = new EmulatedPod(set, ordinal, ip, Files.createDirectories(dir.resolve(set.getMetadata().getName() + "-" + ordinal
                    + "-" + ip)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        client.pods().inNamespace(namespace).resource(pod.object(namespace)).create();
        pods.put(pod.name, pod);
        try {
            pod.start(client, namespace, server);
            events.add("started pod " + pod.name + " at " + ip);
        } catch (IllegalStateException | IOException e) {
            events.add("pod " + pod.name + " cannot start: " + e.getMessage());
        }
    }

    private void stop(EmulatedPod pod, String why) {
        pods.remove(pod.name);
        pod.terminate();
        stopping.put(pod, Instant.now().plusSeconds(pod.gracePeriodSeconds()));
        ready.remove(pod.name);
        events.add("stopping pod " + pod.name + ": " + why);
    }

    /** restartPolicy Always: the termination goes into the pod's status, and the container starts again after a back-off. */
    private void restartIfExited(EmulatedPod pod) {
        if (pod.justExited()) {
            int code = pod.process().exitValue();
            events.add("pod " + pod.name + ": container exited with status " + code);
            status(pod, new ContainerStatusBuilder().withName(pod.container().getName()).withReady(false).withRestartCount(pod.restarts())
                    .withNewLastState().withNewTerminated().withExitCode(code).withReason(code == 0 ? "Completed" : "Error")
                    .withFinishedAt(Instant.now().toString()).endTerminated().endLastState()
                    .withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().endState().build(), false);
        } else if (pod.exitedAt() != null && !pod.running() && Instant.now().isAfter(pod.exitedAt().plus(BACKOFF))) {
            try {
                pod.start(client, namespace, server);
                events.add("restarted pod " + pod.name + " (restart " + pod.restarts() + ")");
                status(pod, new ContainerStatusBuilder().withName(pod.container().getName()).withReady(false).withRestartCount(pod.restarts())
                        .withNewState().withNewRunning().withStartedAt(Instant.now().toString()).endRunning().endState().build(), false);
            } catch (IllegalStateException | IOException e) {
                events.add("pod " + pod.name + " cannot restart: " + e.getMessage());
            }
        }
    }

    /** The readiness probe (GET /ready on the management port), written to the pods and their StatefulSets' status. */
    private void probe(Map<String, StatefulSet> sets) {
        Map<String, Integer> readyBySet = new HashMap<>();
        List<EmulatedPod> all = new ArrayList<>(pods.values());
        all.addAll(stopping.keySet());
        for (EmulatedPod pod : all) {
            Process p = pod.process();
            if (p != null && p.isAlive()) {
                p.toHandle().info().totalCpuDuration().ifPresent(d -> cpu.put(p.pid(), d.toMillis() / 1000.0));
            }
        }
        for (EmulatedPod pod : pods.values()) {
            boolean now = pod.running() && get("http://" + pod.ip + ":7626/ready");
            if (now) {
                readyBySet.merge(pod.setName, 1, Integer::sum);
            }
            if (!Boolean.valueOf(now).equals(ready.put(pod.name, now))) {
                status(pod, null, now);
            }
        }
        for (StatefulSet set : sets.values()) {
            int readyReplicas = readyBySet.getOrDefault(set.getMetadata().getName(), 0);
            Integer before = set.getStatus() == null ? null : set.getStatus().getReadyReplicas();
            if (before == null || before != readyReplicas) {
                try {
                    client.apps().statefulSets().inNamespace(namespace).resource(new StatefulSetBuilder(set).editOrNewStatus()
                            .withReplicas(replicas(set)).withReadyReplicas(readyReplicas).endStatus().build()).updateStatus();
                } catch (KubernetesClientException e) {
                    events.add("could not update StatefulSet " + set.getMetadata().getName() + " status: " + e.getMessage());
                }
            }
        }
    }

    private boolean get(String url) {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(500)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void status(EmulatedPod pod, ContainerStatus container, boolean isReady) {
        try {
            client.pods().inNamespace(namespace).withName(pod.name).editStatus(p -> {
                PodBuilder b = new PodBuilder(p);
                if (container != null) {
                    b.editStatus().withContainerStatuses(container).endStatus();
                }
                return b.editStatus().withConditions(new PodConditionBuilder().withType("Ready").withStatus(isReady ? "True" : "False")
                        .build()).endStatus().build();
            });
        } catch (KubernetesClientException e) {
            events.add("could not update pod " + pod.name + " status: " + e.getMessage());
        }
    }

    /** Stops the reconciling and every process, SIGTERM first, bounded. */
    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<EmulatedPod> all = new ArrayList<>(pods.values());
        all.addAll(stopping.keySet());
        all.forEach(EmulatedPod::terminate);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (EmulatedPod pod : all) {
            Process p = pod.process();
            try {
                if (p != null && !p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    pod.kill();
                }
            } catch (InterruptedException e) {
                pod.kill();
                Thread.currentThread().interrupt();
            }
        }
    }
}
