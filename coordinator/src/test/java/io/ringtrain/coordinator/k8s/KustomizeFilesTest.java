package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The kustomize base and overlays cannot drift from what `ringtrain launch` applies: they are generated from the
 * example specs in k8s/runs by launch's own renderer (this test fails when a file is out of date, and rewrites them
 * with -Dringtrain.k8s.regenerate=true), and what kustomize makes of them is launch's output object for object,
 * checked with the real {@code kubectl kustomize} where kubectl is installed and with the tests' model of it always.
 */
@Timeout(60)
class KustomizeFilesTest {

    static final List<String> VARIANTS = RenderedRun.VARIANTS;
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");

    @Test
    void generatedFilesAreUpToDate() throws IOException {
        Map<String, String> expected = KustomizeFiles.all();
        Path root = KustomizeFiles.k8s();
        boolean regenerate = Boolean.getBoolean("ringtrain.k8s.regenerate");
        List<String> stale = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).filter(f -> f.toString().endsWith(".yaml")).toList()) {
                String relative = root.relativize(file).toString();
                if ((relative.startsWith("base/") || relative.startsWith("overlays/")) && !expected.containsKey(relative)) {
                    stale.add(relative);
                    if (regenerate) {
                        Files.delete(file);
                    }
                }
            }
        }
        for (Map.Entry<String, String> file : expected.entrySet()) {
            Path path = root.resolve(file.getKey());
            String actual = Files.exists(path) ? Files.readString(path) : null;
            if (!file.getValue().equals(actual)) {
                stale.add(file.getKey());
                if (regenerate) {
                    Files.createDirectories(path.getParent());
                    Files.writeString(path, file.getValue());
                }
            }
        }
        assertEquals(List.of(), regenerate ? List.of() : stale, "k8s/ files out of date with k8s/runs/*.yaml and the renderer; run\n  "
                + KustomizeFiles.REGENERATE);
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void kubectlKustomizeMakesWhatLaunchApplies(String variant) throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("ringtrain.k8s.regenerate"), "regenerating: compared on the next run");
        Assumptions.assumeTrue(Files.isExecutable(KUBECTL), "no " + KUBECTL + " here: only the tests' kustomize model is compared");
        Process kubectl = new ProcessBuilder(KUBECTL.toString(), "kustomize", ManifestFiles.dir(variant).toString()).start();
        String out = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(kubectl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(kubectl.waitFor(30, TimeUnit.SECONDS), "kubectl kustomize did not finish");
        assertEquals(0, kubectl.exitValue(), "kubectl kustomize " + variant + ":\n" + err);
        assertSame(expected(variant), parse(out), "kubectl kustomize k8s/" + variant);
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void theTestsKustomizeModelMakesWhatLaunchApplies(String variant) {
        Assumptions.assumeFalse(Boolean.getBoolean("ringtrain.k8s.regenerate"), "regenerating: compared on the next run");
        assertSame(expected(variant), RenderedRun.of(variant).documents(), "the tests' kustomize model of k8s/" + variant);
    }

    /** Launch's objects for the variant's spec and namespace. */
    private static List<Map<String, Object>> expected(String variant) {
        if (variant.equals("base")) {
            return KustomizeFiles.baseDocuments();
        }
        String spec = variant.endsWith("gpu") ? KustomizeFiles.GPU_SPEC : KustomizeFiles.CPU_SPEC;
        return KustomizeFiles.rendered(KustomizeFiles.spec(spec), KustomizeFiles.NAMESPACE);
    }

    /** The same objects, whatever their order in the stream, each field equal after both go through the Kubernetes model. */
    private static void assertSame(List<Map<String, Object>> expected, List<Map<String, Object>> actual, String what) {
        Map<String, Map<String, Object>> want = byId(expected);
        Map<String, Map<String, Object>> have = byId(actual);
        assertEquals(want.keySet(), have.keySet(), what + ": objects");
        for (String id : want.keySet()) {
            String difference = firstDifference(id, want.get(id), have.get(id));
            assertEquals(null, difference, what + ": " + id + " differs from launch's");
        }
    }

    private static Map<String, Map<String, Object>> byId(List<Map<String, Object>> documents) {
        Map<String, Map<String, Object>> byId = new TreeMap<>();
        for (Map<String, Object> document : documents) {
            byId.put(document.get("kind") + "/" + KustomizeFiles.name(document), KustomizeFiles.toMap(ManifestFiles.toModel(document)));
        }
        return byId;
    }

    private static String firstDifference(String path, Object want, Object have) {
        if (want instanceof Map<?, ?> a && have instanceof Map<?, ?> b) {
            for (Object key : a.keySet()) {
                String d = firstDifference(path + "." + key, a.get(key), b.get(key));
                if (d != null) {
                    return d;
                }
            }
            for (Object key : b.keySet()) {
                if (!a.containsKey(key)) {
                    return path + "." + key + ": launch has none, kustomize has " + b.get(key);
                }
            }
            return null;
        }
        if (want instanceof List<?> a && have instanceof List<?> b && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) {
                String d = firstDifference(path + "[" + i + "]", a.get(i), b.get(i));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        return java.util.Objects.equals(want, have) ? null : path + ": launch " + want + ", kustomize " + have;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> parse(String yaml) {
        List<Map<String, Object>> documents = new ArrayList<>();
        try (MappingIterator<Object> it = new YAMLMapper().readerFor(Object.class).readValues(yaml)) {
            while (it.hasNext()) {
                Object document = it.next();
                if (document != null) {
                    documents.add((Map<String, Object>) document);
                }
            }
        }
        return documents;
    }
}
