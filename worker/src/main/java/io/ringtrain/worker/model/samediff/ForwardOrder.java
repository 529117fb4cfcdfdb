package io.ringtrain.worker.model.samediff;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;

/**
 * Orders a graph's trainable variables as the forward pass first uses them (ties by name), which is the order the
 * state layout wants: the fusion buckets all-reduce the last tensors first, and backward produces the gradients of
 * the last layers first. SameDiff itself keeps variables by name, which says nothing about where they are used.
 */
final class ForwardOrder {

    private ForwardOrder() {
    }

    static List<String> of(SameDiff graph, List<String> trainable) {
        Map<String, SameDiffOp> ops = graph.getOps();
        Set<String> produced = new HashSet<>();
        for (SameDiffOp op : ops.values()) {
            if (op.getOutputsOfOp() != null) {
                produced.addAll(op.getOutputsOfOp());
            }
        }
        // Kahn's algorithm in waves: an op runs in the first wave after all of its op-produced inputs exist.
        Map<String, Integer> waveOfOp = new HashMap<>();
        Set<String> available = new HashSet<>();
        TreeMap<String, SameDiffOp> pending = new TreeMap<>(ops);
        for (int wave = 0; !pending.isEmpty(); wave++) {
            List<SameDiffOp> runnable = new ArrayList<>();
            for (SameDiffOp op : pending.values()) {
                List<String> inputs = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
                if (inputs.stream().allMatch(in -> !produced.contains(in) || available.contains(in))) {
                    runnable.add(op);
                }
            }
            if (runnable.isEmpty()) {
                break; // a cycle (control flow): the rest keep name order
            }
            for (SameDiffOp op : runnable) {
                waveOfOp.put(op.getName(), wave);
                pending.remove(op.getName());
                if (op.getOutputsOfOp() != null) {
                    available.addAll(op.getOutputsOfOp());
                }
            }
        }
        Map<String, Integer> firstUse = new HashMap<>();
        for (SameDiffOp op : ops.values()) {
            int wave = waveOfOp.getOrDefault(op.getName(), Integer.MAX_VALUE);
            for (String in : op.getInputsToOp() == null ? List.<String>of() : op.getInputsToOp()) {
                firstUse.merge(in, wave, Math::min);
            }
        }
        List<String> ordered = new ArrayList<>(trainable);
        ordered.sort(Comparator.<String>comparingInt(v -> firstUse.getOrDefault(v, Integer.MAX_VALUE))
                .thenComparing(Comparator.naturalOrder()));
        return List.copyOf(ordered);
    }
}
