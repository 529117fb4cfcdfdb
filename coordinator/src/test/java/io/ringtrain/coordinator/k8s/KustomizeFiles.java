package io.ringtrain.coordinator.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.ringtrain.coordinator.launch.RunRenderer;
import io.ringtrain.coordinator.launch.RunYaml;
import io.ringtrain.coordinator.launch.TrainingRun;
import io.ringtrain.coordinator.launch.TrainingRunReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kustomize base and overlays as `ringtrain launch` renders the example specs in k8s/runs: the base is
 * mlp-demo.yaml's objects (no namespace: the overlays set it), the GPU overlay strategic merge patches that turn them
 * into mlp-demo-gpu.yaml's. Generated, so that kubectl users apply exactly what launch would.
 */
final class KustomizeFiles {

    static final String CPU_SPEC = "runs/mlp-demo.yaml";
    static final String GPU_SPEC = "runs/mlp-demo-gpu.yaml";
    /** The overlays' namespace. */
    static final String NAMESPACE = "ringtrain";
    /** The namespace the base's RoleBinding names; kustomize's namespace transformer replaces it. */
    static final String BASE_NAMESPACE = "default";

    static final String REGENERATE = "mvn -B -pl coordinator -am test -Dtest=KustomizeFilesTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dringtrain.k8s.regenerate=true";

    /** Where each kind goes in the base. */
    private static final Map<String, String> BASE_FILES = Map.of("ConfigMap", "run.yaml", "ServiceAccount", "access.yaml",
            "Role", "access.yaml", "RoleBinding", "access.yaml", "NetworkPolicy", "network-policy.yaml");

    private KustomizeFiles() {
    }

    static TrainingRun spec(String relative) {
        return TrainingRunReader.read(ManifestFiles.dir(relative));
    }

    /** What launch applies for a spec, as YAML-shaped maps (fabric8's serialization), in apply order. */
    static List<Map<String, Object>> rendered(TrainingRun run, String namespace) {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (HasMetadata object : RunRenderer.render(run, namespace)) {
            documents.add(toMap(object));
        }
        return documents;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> toMap(HasMetadata object) {
        return ManifestFiles.SERIALIZATION.convertValue(object, LinkedHashMap.class);
    }

    /** Path under k8s/ -> content, for every generated file. */
    static Map<String, String> all() {
        Map<String, String> files = new LinkedHashMap<>();
        String header = "# Generated from k8s/" + CPU_SPEC + " by ringtrain launch's renderer: do not edit. Change the spec, then\n#   "
                + REGENERATE + "\n";
        Map<String, StringBuilder> base = new LinkedHashMap<>();
        List<Map<String, Object>> cpu = baseDocuments();
        for (Map<String, Object> document : cpu) {
            String file = BASE_FILES.getOrDefault((String) document.get("kind"), component(document) + ".yaml");
            base.computeIfAbsent(file, f -> new StringBuilder(header)).append("---\n").append(RunYaml.of(document));
        }
        base.forEach((file, text) -> files.put("base/" + file, text.toString()));
        StringBuilder kustomization = new StringBuilder(header).append("""
                # The run, hardware-neutral. Apply an overlay (overlays/cpu or overlays/gpu), not this base: the overlays set the
                # namespace, which the RoleBinding's subject depends on.
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                """);
        base.keySet().forEach(file -> kustomization.append("  - ").append(file).append('\n'));
        files.put("base/kustomization.yaml", kustomization.toString());

        String gpuHeader = header.replace(CPU_SPEC, GPU_SPEC);
        List<Map<String, Object>> gpu = strip(rendered(spec(GPU_SPEC), BASE_NAMESPACE));
        StringBuilder gpuKustomization = new StringBuilder(gpuHeader).append("""
                # GPU nodes: k8s/base patched into what launch renders for the GPU spec.
                #   kubectl create namespace ringtrain
                #   kubectl apply -k k8s/overlays/gpu
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namespace: %s
                resources:
                  - ../../base
                patches:
                """.formatted(NAMESPACE));
        for (int i = 0; i < gpu.size(); i++) {
            Map<String, Object> patch = PatchDiff.patch(cpu.get(i), gpu.get(i));
            if (patch != null) {
                String file = ((String) gpu.get(i).get("kind")).toLowerCase(java.util.Locale.ROOT) + "-" + name(gpu.get(i)) + ".yaml";
                files.put("overlays/gpu/" + file, gpuHeader + "# A strategic merge patch of k8s/base.\n" + RunYaml.of(patch));
                gpuKustomization.append("  - path: ").append(file).append('\n');
            }
        }
        gpuKustomization.append("""
                images:
                  # Only the registry here: the tags are the spec's (coordinator) and spec.workers.image's (-cuda).
                  - name: ringtrain
                    newName: ringtrain
                """);
        files.put("overlays/gpu/kustomization.yaml", gpuKustomization.toString());
        files.put("overlays/cpu/kustomization.yaml", header + """
                # CPU nodes: the base as it is, in namespace %s.
                #   kubectl create namespace %s
                #   kubectl apply -k k8s/overlays/cpu
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namespace: %s
                resources:
                  - ../../base
                images:
                  # Point newName at your registry, e.g. registry.example.com/ml/ringtrain.
                  - name: ringtrain
                    newName: ringtrain
                    newTag: 0.1.0
                """.formatted(NAMESPACE, NAMESPACE, NAMESPACE));
        return files;
    }

    /** The base's objects: the CPU spec rendered for namespace "default", without the namespace field. */
    static List<Map<String, Object>> baseDocuments() {
        return strip(rendered(spec(CPU_SPEC), BASE_NAMESPACE));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> strip(List<Map<String, Object>> documents) {
        for (Map<String, Object> document : documents) {
            ((Map<String, Object>) document.get("metadata")).remove("namespace");
        }
        return documents;
    }

    @SuppressWarnings("unchecked")
    static String name(Map<String, Object> document) {
        return (String) ((Map<String, Object>) document.get("metadata")).get("name");
    }

    @SuppressWarnings("unchecked")
    private static String component(Map<String, Object> document) {
        Map<String, String> labels = (Map<String, String>) ((Map<String, Object>) document.get("metadata")).get("labels");
        return labels.get(RunNames.COMPONENT);
    }

    static Path k8s() {
        return ManifestFiles.root();
    }
}
