package io.ringtrain.coordinator.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The repository's k8s/ folder, read as YAML documents and as fabric8 model objects. */
final class ManifestFiles {

    private static final YAMLMapper YAML = new YAMLMapper();
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManifestFiles() {
    }

    /** k8s/ at the repository root; the tests run with the module (coordinator/) as working directory. */
    static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("k8s");
            if (Files.isRegularFile(candidate.resolve("base/kustomization.yaml"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no k8s/base/kustomization.yaml above " + Path.of("").toAbsolutePath());
    }

    static Path dir(String relative) {
        return root().resolve(relative);
    }

    /** Every .yaml/.yml file under k8s/. */
    static List<Path> yamlFiles() {
        try (Stream<Path> files = Files.walk(root())) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isKustomization(Path file) {
        String name = file.getFileName().toString();
        return name.equals("kustomization.yaml") || name.equals("kustomization.yml");
    }

    /** The YAML documents of a file, as plain maps (empty documents dropped). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents(Path file) {
        List<Map<String, Object>> documents = new ArrayList<>();
        try (MappingIterator<Object> it = YAML.readerFor(Object.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                Object document = it.next();
                if (document == null) {
                    continue;
                }
                if (!(document instanceof Map)) {
                    throw new IllegalArgumentException(file + ": a document is not a mapping but " + document.getClass().getSimpleName());
                }
                documents.add((Map<String, Object>) document);
            }
        }
        return documents;
    }

    /** The one document of a file that must hold exactly one (kustomization.yaml, a patch). */
    static Map<String, Object> document(Path file) {
        List<Map<String, Object>> documents = documents(file);
        if (documents.size() != 1) {
            throw new IllegalArgumentException(file + " holds " + documents.size() + " YAML documents; expected one");
        }
        return documents.get(0);
    }

    /** A document as a fabric8 model object; an unknown kind comes back as GenericKubernetesResource. */
    static HasMetadata toModel(Map<String, Object> document) {
        KubernetesResource resource = SERIALIZATION.unmarshal(SERIALIZATION.asJson(document), KubernetesResource.class);
        if (!(resource instanceof HasMetadata object)) {
            throw new IllegalArgumentException("not a Kubernetes object: " + document.get("kind"));
        }
        return object;
    }

    /** A deep copy: rendering edits documents in place. */
    @SuppressWarnings("unchecked")
    static <T> T deepCopy(T value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put((String) k, deepCopy(v)));
            return (T) copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(v -> copy.add(deepCopy(v)));
            return (T) copy;
        }
        return value;
    }
}
