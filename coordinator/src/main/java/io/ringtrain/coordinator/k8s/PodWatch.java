package io.ringtrain.coordinator.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a run's worker pods and says, the moment the API server shows it, that a worker's process is gone (its
 * container exited, its pod failed or was deleted): on Kubernetes the fastest signal there is, as a child's exit is
 * for `ringtrain local`, ahead of the data plane's peer timeout and Pekko's failure detector. An informer, so a
 * watch that the API server closes is resumed by listing again; exits seen only in that list (they happened while
 * no watch was open) are reported as well.
 */
public final class PodWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodWatch.class);
    /** No periodic resync: the watch delivers every change, and a resync would only repeat what it holds. */
    private static final long RESYNC_MILLIS = 0;

    private final SharedIndexInformer<Pod> informer;

    private final CompletionStage<Void> started;

    private PodWatch(SharedIndexInformer<Pod> informer, CompletionStage<Void> started) {
        this.informer = informer;
        this.started = started;
    }

    /**
     * @param labels    the run's worker pods (every label must match)
     * @param container the worker's container in them
     * @param exited    called with (pod name = worker name, how it went) on the informer's thread: must not block
     */
    public static PodWatch start(KubernetesClient client, String namespace, Map<String, String> labels, String container,
                                 BiConsumer<String, String> exited) {
        ResourceEventHandler<Pod> handler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                PodExit.between(null, pod, container).ifPresent(how -> report(pod, how));
            }

            @Override
            public void onUpdate(Pod before, Pod after) {
                PodExit.between(before, after, container).ifPresent(how -> report(after, how));
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                report(pod, PodExit.deleted(pod));
            }

            private void report(Pod pod, String how) {
                log.info("worker pod {}: {}", pod.getMetadata().getName(), how);
                exited.accept(pod.getMetadata().getName(), how);
            }
        };
        SharedIndexInformer<Pod> informer = client.pods().inNamespace(namespace).withLabels(labels).runnableInformer(RESYNC_MILLIS);
        informer.addEventHandler(handler);
        PodWatch watch = new PodWatch(informer, informer.start());
        watch.started.whenComplete((ok, error) -> {
            if (error != null) {
                log.warn("not watching the run's worker pods in namespace {} ({}): lost workers are noticed by the data plane's"
                        + " peer timeout and the cluster's failure detector instead", namespace, error.getMessage());
            } else {
                log.info("watching the run's worker pods in namespace {} ({})", namespace, labels);
            }
        });
        return watch;
    }

    /** Completes once the pods were listed and the watch is open; exceptionally if the API server refused it. */
    public CompletionStage<Void> started() {
        return started;
    }

    /** Whether the informer has listed the pods once and is watching them now. */
    public boolean isWatching() {
        return informer.hasSynced() && informer.isWatching();
    }

    @Override
    public void close() {
        informer.close();
    }
}
