package io.ringtrain.coordinator.k8s;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Renders a kustomization the way {@code kubectl kustomize} does, for the fields ringtrain's kustomizations
 * use: {@code resources} (files and directories), {@code patches} (strategic merge, by path), {@code images}
 * and {@code namespace}. A kustomization with any other field fails here, so this model cannot silently
 * drift from what kustomize would print.
 */
final class Kustomize {

    static final Set<String> SUPPORTED_FIELDS = Set.of("apiVersion", "kind", "resources", "patches", "images", "namespace");

    private Kustomize() {
    }

    /** The documents {@code kubectl kustomize dir} prints, as maps, in resource order. */
    static List<Map<String, Object>> render(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        Map<String, Object> kustomization = ManifestFiles.document(file);
        for (String field : kustomization.keySet()) {
            if (!SUPPORTED_FIELDS.contains(field)) {
                throw new IllegalArgumentException(file + " uses '" + field + "', which the tests' kustomize model "
                        + "(Kustomize.java) does not render; extend it, or keep to " + SUPPORTED_FIELDS);
            }
        }
        List<Map<String, Object>> documents = new ArrayList<>();
        for (String resource : strings(kustomization, "resources", file)) {
            Path path = dir.resolve(resource).normalize();
            if (Files.isDirectory(path)) {
                documents.addAll(render(path));
            } else if (Files.isRegularFile(path)) {
                documents.addAll(ManifestFiles.documents(path));
            } else {
                throw new IllegalArgumentException(file + " lists resource " + resource + ", which does not exist");
            }
        }
        for (Map<String, Object> patchEntry : maps(kustomization, "patches", file)) {
            applyPatch(dir, file, patchEntry, documents);
        }
        for (Map<String, Object> image : maps(kustomization, "images", file)) {
            setImage(documents, image, file);
        }
        Object namespace = kustomization.get("namespace");
        if (namespace != null) {
            setNamespace(documents, (String) namespace);
        }
        return documents;
    }

    /** The object a patch entry targets: its {@code target}, else the patch's own kind and name. */
    static ObjectId patchTarget(Path dir, Map<String, Object> patchEntry) {
        Object target = patchEntry.get("target");
        if (target instanceof Map<?, ?> t) {
            return new ObjectId((String) t.get("kind"), (String) t.get("name"));
        }
        return ObjectId.of(ManifestFiles.document(patchFile(dir, patchEntry)));
    }

    static Path patchFile(Path dir, Map<String, Object> patchEntry) {
        Object path = patchEntry.get("path");
        if (!(path instanceof String p)) {
            throw new IllegalArgumentException("a patch in " + dir + " has no path; inline patches are not modelled");
        }
        return dir.resolve(p).normalize();
    }

    private static void applyPatch(Path dir, Path file, Map<String, Object> patchEntry, List<Map<String, Object>> documents) {
        Set<String> known = Set.of("path", "target");
        for (String key : patchEntry.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(file + ": patch field '" + key + "' is not modelled; use path (and target)");
            }
        }
        ObjectId target = patchTarget(dir, patchEntry);
        Map<String, Object> patch = ManifestFiles.document(patchFile(dir, patchEntry));
        List<Map<String, Object>> matches = documents.stream().filter(d -> ObjectId.of(d).equals(target)).toList();
        if (matches.size() != 1) {
            throw new IllegalArgumentException(file + ": patch " + patchEntry.get("path") + " targets " + target + ", which matches "
                    + matches.size() + " objects of the resources (kustomize fails the same way)");
        }
        Map<String, Object> body = new java.util.LinkedHashMap<>(patch);
        body.remove("apiVersion");
        body.remove("kind");
        if (body.get("metadata") instanceof Map<?, ?> metadata) {
            Map<String, Object> rest = new java.util.LinkedHashMap<>();
            metadata.forEach((k, v) -> rest.put((String) k, v));
            rest.remove("name");
            rest.remove("namespace");
            if (rest.isEmpty()) {
                body.remove("metadata");
            } else {
                body.put("metadata", rest);
            }
        }
        StrategicMerge.apply(matches.get(0), body);
    }

    /** kustomize's images transformer: containers whose image name matches get newName and/or newTag. */
    @SuppressWarnings("unchecked")
    private static void setImage(List<Map<String, Object>> documents, Map<String, Object> image, Path file) {
        String name = (String) Objects.requireNonNull(image.get("name"), file + ": an images entry has no name");
        String newName = (String) image.get("newName");
        Object newTag = image.get("newTag");
        for (Map<String, Object> document : documents) {
            for (Map<String, Object> container : containers(document)) {
                ImageRef ref = ImageRef.parse((String) container.get("image"));
                if (ref.name().equals(name)) {
                    container.put("image", new ImageRef(newName != null ? newName : ref.name(),
                            newTag != null ? String.valueOf(newTag) : ref.tag()).toString());
                }
            }
        }
    }

    /**
     * kustomize's namespace transformer: every (namespaced) object moves to the namespace, and RoleBinding
     * subjects naming one of the kustomization's own ServiceAccounts in "default" (or no namespace) follow it.
     */
    @SuppressWarnings("unchecked")
    private static void setNamespace(List<Map<String, Object>> documents, String namespace) {
        Set<String> serviceAccounts = new java.util.HashSet<>();
        for (Map<String, Object> document : documents) {
            if (Set.of("Namespace", "ClusterRole", "ClusterRoleBinding").contains(document.get("kind"))) {
                throw new IllegalArgumentException("cluster-scoped " + document.get("kind") + " is not modelled by the tests' kustomize");
            }
            if ("ServiceAccount".equals(document.get("kind"))) {
                serviceAccounts.add(ObjectId.of(document).name());
            }
            ((Map<String, Object>) document.computeIfAbsent("metadata", k -> new java.util.LinkedHashMap<>())).put("namespace", namespace);
        }
        for (Map<String, Object> document : documents) {
            if (!"RoleBinding".equals(document.get("kind")) || !(document.get("subjects") instanceof List<?> subjects)) {
                continue;
            }
            for (Object s : subjects) {
                Map<String, Object> subject = (Map<String, Object>) s;
                Object ns = subject.get("namespace");
                if ("ServiceAccount".equals(subject.get("kind")) && serviceAccounts.contains(subject.get("name"))
                        && (ns == null || "default".equals(ns))) {
                    subject.put("namespace", namespace);
                }
            }
        }
    }

    /** The containers of a workload's pod template, where kustomize's image transformer looks. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> containers(Map<String, Object> document) {
        List<Map<String, Object>> containers = new ArrayList<>();
        if (document.get("spec") instanceof Map<?, ?> spec && spec.get("template") instanceof Map<?, ?> template
                && template.get("spec") instanceof Map<?, ?> podSpec) {
            for (String field : List.of("initContainers", "containers")) {
                if (podSpec.get(field) instanceof List<?> list) {
                    list.forEach(c -> containers.add((Map<String, Object>) c));
                }
            }
        }
        return containers;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Map<String, Object> kustomization, String field, Path file) {
        Object value = kustomization.getOrDefault(field, List.of());
        if (!(value instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
            throw new IllegalArgumentException(file + ": " + field + " must be a list of strings");
        }
        return (List<String>) list;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Map<String, Object> kustomization, String field, Path file) {
        Object value = kustomization.getOrDefault(field, List.of());
        if (!(value instanceof List<?> list) || !list.stream().allMatch(Map.class::isInstance)) {
            throw new IllegalArgumentException(file + ": " + field + " must be a list of mappings");
        }
        return (List<Map<String, Object>>) list;
    }

    /** Kind and name: how kustomize (and these tests) identify an object within one namespace. */
    record ObjectId(String kind, String name) {
        @SuppressWarnings("unchecked")
        static ObjectId of(Map<String, Object> document) {
            Map<String, Object> metadata = (Map<String, Object>) document.getOrDefault("metadata", Map.of());
            return new ObjectId((String) document.get("kind"), (String) metadata.get("name"));
        }

        @Override
        public String toString() {
            return kind + "/" + name;
        }
    }

    /** repository[:port]/name:tag, split where kustomize splits it (digests are not used here). */
    record ImageRef(String name, String tag) {
        static ImageRef parse(String image) {
            int slash = image.lastIndexOf('/');
            int colon = image.lastIndexOf(':');
            if (image.contains("@")) {
                throw new IllegalArgumentException("image digests are not modelled: " + image);
            }
            return colon > slash ? new ImageRef(image.substring(0, colon), image.substring(colon + 1)) : new ImageRef(image, null);
        }

        @Override
        public String toString() {
            return tag == null ? name : name + ":" + tag;
        }
    }
}
