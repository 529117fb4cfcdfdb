package io.ringtrain.coordinator.k8s;

import com.typesafe.config.Config;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.ringtrain.coordinator.RunEvent;
import io.ringtrain.coordinator.node.ClusterContext;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator as its launched run's controller: it records the run's status ({@link RunStatus}) in the run's
 * status ConfigMap every few seconds while anything changed, and once the run has finished (now, or before this
 * coordinator started: the checkpoint store's completion record) it scales the run's StatefulSets to 0, so that a
 * restarted pod never trains the run again and finished workers do not wait for a coordinator forever. Writing is
 * best effort: the run never stops because its status could not be written.
 */
public final class RunStatusWriter implements Consumer<RunEvent>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunStatusWriter.class);

    private final KubernetesClient client;
    private final String run;
    private final String namespace;
    private final AtomicReference<RunStatus> status;
    private final AtomicBoolean changed = new AtomicBoolean(true);
    private final AtomicBoolean warned = new AtomicBoolean();
    private final ScheduledExecutorService timer;
    private final boolean ownsClient;

    private RunStatusWriter(KubernetesClient client, boolean ownsClient, String run, String namespace, RunStatus start, Duration interval) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.run = run;
        this.namespace = namespace;
        this.status = new AtomicReference<>(start);
        this.timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "ringtrain-run-status");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::writeIfChanged, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether this coordinator belongs to a launched run (ringtrain.coordinator.kubernetes-run.name), read before anything starts. */
    public static Optional<Plan> plan(Config config, ClusterContext cluster) {
        Config c = config.getConfig("ringtrain.coordinator.kubernetes-run");
        String name = c.getString("name").trim();
        if (name.isEmpty() || cluster.bootstrap() != ClusterContext.Bootstrap.KUBERNETES) {
            return Optional.empty();
        }
        Duration interval = c.getDuration("status-interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("ringtrain.coordinator.kubernetes-run.status-interval must be positive, got " + interval);
        }
        return Optional.of(new Plan(name, c.getString("namespace").trim(), interval));
    }

    /** @param namespace empty: the pod's own */
    public record Plan(String run, String namespace, Duration interval) {
        /** Connects with the pod's service account, reads what was recorded before and starts recording. */
        public RunStatusWriter start(long totalSteps) {
            return start(new KubernetesClientBuilder().build(), true, totalSteps);
        }

        /** With {@code client}, which stays open after {@link #close()}. */
        public RunStatusWriter start(KubernetesClient client, long totalSteps) {
            return start(client, false, totalSteps);
        }

        private RunStatusWriter start(KubernetesClient client, boolean owns, long totalSteps) {
            String ns = namespace.isEmpty() ? client.getNamespace() : namespace;
            if (ns == null) {
                throw new IllegalArgumentException("ringtrain.coordinator.kubernetes-run: no namespace (not in a pod, and no kubeconfig"
                        + " context names one): set ringtrain.coordinator.kubernetes-run.namespace");
            }
            RunStatus before = RunStatus.none();
            try {
                ConfigMap stored = client.configMaps().inNamespace(ns).withName(RunNames.status(run)).get();
                before = stored == null ? before : RunStatus.fromData(stored.getData());
            } catch (KubernetesClientException e) {
                log.warn("cannot read the run's status ConfigMap {}/{} ({}); recording from scratch", ns, RunNames.status(run), e.getMessage());
            }
            String pod = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("coordinator");
            return new RunStatusWriter(client, owns, run, ns, before.starting(pod, totalSteps), interval);
        }
    }

    @Override
    public void accept(RunEvent event) {
        RunStatus before = status.get();
        if (status.updateAndGet(s -> s.next(event)) != before) {
            changed.set(true);
        }
    }

    public RunStatus status() {
        return status.get();
    }

    private void writeIfChanged() {
        if (changed.getAndSet(false)) {
            write(status.get());
        }
    }

    private synchronized void write(RunStatus s) {
        try {
            String json = client.getKubernetesSerialization().asJson(Map.of("data", s.toData()));
            client.configMaps().inNamespace(namespace).withName(RunNames.status(run)).patch(PatchContext.of(PatchType.JSON_MERGE), json);
            warned.set(false);
        } catch (KubernetesClientException e) {
            if (!warned.getAndSet(true)) {
                log.warn("cannot record run {}'s status in ConfigMap {}/{} ({}); `ringtrain status` will show an old one", run, namespace,
                        RunNames.status(run), e.getMessage());
            }
        }
    }

    /**
     * Records the run's last status and, when it finished, scales its StatefulSets to 0: the workers first (they
     * have exited and would otherwise be restarted to wait for a coordinator), then this coordinator's own.
     */
    public void finish() {
        timer.shutdownNow();
        RunStatus last = status.get();
        write(last);
        if (RunStatus.SUCCEEDED.equals(last.phase())) {
            for (String set : java.util.List.of(RunNames.workers(run), RunNames.coordinator(run))) {
                try {
                    client.apps().statefulSets().inNamespace(namespace).withName(set).scale(0);
                    log.info("run {} finished: scaled StatefulSet {} to 0", run, set);
                } catch (KubernetesClientException e) {
                    log.warn("run {} finished but StatefulSet {} could not be scaled to 0 ({}): its pods will restart and stop at once",
                            run, set, e.getMessage());
                }
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (ownsClient) {
            client.close();
        }
    }
}
