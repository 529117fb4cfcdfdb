package io.ringtrain.coordinator.k8s;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.ringtrain.coordinator.ExitStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a change to a worker's pod says about its worker process, in the words the coordinator and the console use
 * ("its container exited with status 137 (SIGKILL)"): the Kubernetes counterpart of the local launcher seeing a
 * child process exit. Only the worker's own container counts (not sidecars), and each termination is reported once:
 * the kubelet shows it first as the container's state and, once it restarted the container, as its last state.
 */
final class PodExit {
    private PodExit() {
    }

    /** A termination of {@code container} that {@code after} shows and {@code before} (null: none) did not. */
    static Optional<String> between(Pod before, Pod after, String container) {
        Set<String> seen = new HashSet<>(terminationKeys(before, container));
        List<ContainerStateTerminated> now = terminations(after, container);
        for (ContainerStateTerminated t : now) {
            if (!seen.contains(key(t))) {
                return Optional.of(describe(t));
            }
        }
        if (isFailed(after) && !isFailed(before) && now.isEmpty()) {
            // Evicted, or failed before its container ever ran: no container status says so.
            return Optional.of("its pod failed" + reason(after));
        }
        return Optional.empty();
    }

    /**
     * The pod is gone from the API server (deleted, and its grace period over or skipped): whatever ran in it has
     * stopped. A worker that left on purpose (SIGTERM) left the ring before this, and the coordinator ignores it.
     */
    static String deleted(Pod pod) {
        return "its pod " + pod.getMetadata().getName() + " was deleted";
    }

    private static String describe(ContainerStateTerminated t) {
        String status = t.getExitCode() == null ? "an unknown status" : "status " + ExitStatus.describe(t.getExitCode());
        String why = t.getReason() == null || t.getReason().equals("Error") || t.getReason().equals("Completed")
                ? "" : ", " + t.getReason();
        return "its container exited with " + status + why;
    }

    private static List<String> terminationKeys(Pod pod, String container) {
        return terminations(pod, container).stream().map(PodExit::key).toList();
    }

    /** The container's current and last terminations, as the pod shows them. */
    private static List<ContainerStateTerminated> terminations(Pod pod, String container) {
        List<ContainerStateTerminated> out = new ArrayList<>();
        if (pod == null || pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return out;
        }
        for (ContainerStatus status : pod.getStatus().getContainerStatuses()) {
            if (!container.equals(status.getName())) {
                continue;
            }
            if (status.getState() != null && status.getState().getTerminated() != null) {
                out.add(status.getState().getTerminated());
            }
            if (status.getLastState() != null && status.getLastState().getTerminated() != null) {
                out.add(status.getLastState().getTerminated());
            }
        }
        return out;
    }

    /** One termination of one container: its container id and when it finished, whichever the kubelet filled in. */
    private static String key(ContainerStateTerminated t) {
        return t.getContainerID() + "|" + t.getFinishedAt() + "|" + t.getStartedAt() + "|" + t.getExitCode();
    }

    private static boolean isFailed(Pod pod) {
        return pod != null && pod.getStatus() != null && "Failed".equals(pod.getStatus().getPhase());
    }

    private static String reason(Pod pod) {
        String reason = pod.getStatus().getReason();
        String message = pod.getStatus().getMessage();
        if (reason == null && message == null) {
            return "";
        }
        return " (" + (reason == null ? "" : reason) + (reason != null && message != null ? ": " : "") + (message == null ? "" : message) + ")";
    }
}
