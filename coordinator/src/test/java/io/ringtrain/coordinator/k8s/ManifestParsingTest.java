package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every file under k8s/ is YAML the Kubernetes API would accept, as far as fabric8's model can tell. */
@Timeout(30)
class ManifestParsingTest {

    private static final Pattern DNS_1123_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
    private static final java.util.Set<String> STRING_MAPS = java.util.Set.of("data", "labels", "annotations", "nodeSelector", "matchLabels");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

    static List<Path> objectFiles() {
        return ManifestFiles.yamlFiles().stream().filter(p -> !ManifestFiles.isKustomization(p) && !isRunSpec(p)).toList();
    }

    /** k8s/runs holds run specs for `ringtrain launch`, not Kubernetes objects (KustomizeFilesTest reads them). */
    static boolean isRunSpec(Path file) {
        return file.startsWith(ManifestFiles.dir("runs"));
    }

    static List<Path> kustomizations() {
        return ManifestFiles.yamlFiles().stream().filter(ManifestFiles::isKustomization).toList();
    }

    @Test
    void theFoldersUsersApplyExist() {
        assertEquals(List.of(ManifestFiles.dir("base/kustomization.yaml"), ManifestFiles.dir("overlays/cpu/kustomization.yaml"),
                ManifestFiles.dir("overlays/gpu/kustomization.yaml")), kustomizations());
    }

    @ParameterizedTest
    @MethodSource("objectFiles")
    void everyDocumentIsAKubernetesObjectOfAKnownKind(Path file) {
        List<Map<String, Object>> documents = ManifestFiles.documents(file);
        assertFalse(documents.isEmpty(), file + " holds no objects");
        for (Map<String, Object> document : documents) {
            HasMetadata object = ManifestFiles.toModel(document);
            assertFalse(object instanceof GenericKubernetesResource,
                    file + ": " + document.get("apiVersion") + " " + document.get("kind") + " is not a kind fabric8 knows (misspelt?)");
            assertTrue(object.getMetadata() != null && object.getMetadata().getName() != null, file + ": an object has no metadata.name");
        }
    }

    @ParameterizedTest
    @MethodSource("objectFiles")
    void noFieldIsUnknownToTheKubernetesModel(Path file) {
        for (Map<String, Object> document : ManifestFiles.documents(file)) {
            HasMetadata object = ManifestFiles.toModel(document);
            assertEquals(List.of(), UnknownFields.in(object),
                    file + ": " + object.getKind() + "/" + object.getMetadata().getName() + " has fields Kubernetes does not know");
        }
    }

    /** YAML turns 300 or true into a number or boolean; these fields must be strings or the API server refuses the object. */
    @ParameterizedTest
    @MethodSource("objectFiles")
    void fieldsTheApiTypesAsStringsAreQuotedStrings(Path file) {
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> document : ManifestFiles.documents(file)) {
            walk(document, "", problems);
        }
        assertEquals(List.of(), problems, file + ": these values must be strings (quote them)");
    }

    @SuppressWarnings("unchecked")
    private static void walk(Object value, String path, List<String> problems) {
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = (String) e.getKey();
                String child = path + "." + key;
                boolean stringValues = STRING_MAPS.contains(key) || (key.equals("selector") && e.getValue() instanceof Map<?, ?> m
                        && !m.containsKey("matchLabels") && !m.containsKey("matchExpressions"));
                if (stringValues && e.getValue() instanceof Map<?, ?> entries) {
                    entries.forEach((k, v) -> {
                        if (!(v instanceof String)) {
                            problems.add(child + "." + k + " = " + v);
                        }
                    });
                } else if ((key.equals("args") || key.equals("command")) && e.getValue() instanceof List<?> list) {
                    for (int i = 0; i < list.size(); i++) {
                        if (!(list.get(i) instanceof String)) {
                            problems.add(child + "[" + i + "] = " + list.get(i));
                        }
                    }
                } else if (key.equals("value") && path.contains(".env[") && !(e.getValue() instanceof String)) {
                    problems.add(child + " = " + e.getValue());
                } else {
                    walk(e.getValue(), child, problems);
                }
            }
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(list.get(i), path + "[" + i + "]", problems);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("objectFiles")
    void namesLabelsAndPortNamesAreValid(Path file) {
        for (Map<String, Object> document : ManifestFiles.documents(file)) {
            HasMetadata object = ManifestFiles.toModel(document);
            String name = object.getMetadata().getName();
            assertTrue(name.length() <= 63 && DNS_1123_SUBDOMAIN.matcher(name).matches(), file + ": name '" + name + "' is not a DNS-1123 label");
            labelsOf(object).forEach((k, v) -> assertTrue(v.length() <= 63 && LABEL_VALUE.matcher(v).matches(),
                    file + ": label " + k + "=" + v + " has an invalid value"));
            for (String portName : portNames(object)) {
                assertTrue(portName.length() <= 15 && PORT_NAME.matcher(portName).matches() && portName.matches(".*[a-z].*")
                        && !portName.contains("--"), file + ": port name '" + portName + "' is not a valid IANA service name "
                        + "(at most 15 of a-z, 0-9 and -, with a letter, no leading, trailing or double -)");
            }
        }
    }

    private static List<String> portNames(HasMetadata object) {
        List<String> names = new ArrayList<>();
        if (object instanceof io.fabric8.kubernetes.api.model.Service service) {
            service.getSpec().getPorts().forEach(p -> names.add(p.getName()));
        }
        if (object instanceof io.fabric8.kubernetes.api.model.apps.StatefulSet set && set.getSpec().getTemplate().getSpec() != null) {
            set.getSpec().getTemplate().getSpec().getContainers().forEach(c -> c.getPorts().forEach(p -> names.add(p.getName())));
        }
        names.removeIf(java.util.Objects::isNull);
        return names;
    }

    private static Map<String, String> labelsOf(HasMetadata object) {
        Map<String, String> labels = new java.util.HashMap<>();
        if (object.getMetadata().getLabels() != null) {
            labels.putAll(object.getMetadata().getLabels());
        }
        if (object instanceof io.fabric8.kubernetes.api.model.apps.StatefulSet set && set.getSpec().getTemplate().getMetadata() != null
                && set.getSpec().getTemplate().getMetadata().getLabels() != null) {
            labels.putAll(set.getSpec().getTemplate().getMetadata().getLabels());
        }
        return labels;
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void kustomizationsUseOnlyFieldsTheTestsRender(Path file) {
        Map<String, Object> kustomization = ManifestFiles.document(file);
        assertEquals("kustomize.config.k8s.io/v1beta1", kustomization.get("apiVersion"), file.toString());
        assertEquals("Kustomization", kustomization.get("kind"), file.toString());
        assertTrue(Kustomize.SUPPORTED_FIELDS.containsAll(kustomization.keySet()),
                file + " uses fields beyond " + Kustomize.SUPPORTED_FIELDS + ": " + kustomization.keySet());
        assertFalse(Kustomize.render(file.getParent()).isEmpty(), file + " renders no objects");
    }
}
