package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Overlays patch objects that exist, change what they mean to, and leave the rest of those objects alone. */
@Timeout(30)
class OverlayTest {

    static final List<String> OVERLAYS = List.of("overlays/cpu", "overlays/gpu");

    static List<Map<String, Object>> patchEntries(String overlay) {
        Path file = ManifestFiles.dir(overlay).resolve("kustomization.yaml");
        return Kustomize.maps(ManifestFiles.document(file), "patches", file);
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyPatchIsAKubernetesObjectFragmentThatTargetsAnObjectOfTheBase(String overlay) {
        Path dir = ManifestFiles.dir(overlay);
        RenderedRun base = RenderedRun.of("base");
        for (Map<String, Object> entry : patchEntries(overlay)) {
            Path file = Kustomize.patchFile(dir, entry);
            HasMetadata patch = ManifestFiles.toModel(ManifestFiles.document(file));
            assertFalse(patch instanceof GenericKubernetesResource, file + ": unknown kind " + patch.getKind());
            assertEquals(List.of(), UnknownFields.in(patch), file + " has fields Kubernetes does not know");
            Kustomize.ObjectId target = Kustomize.patchTarget(dir, entry);
            assertEquals(1, base.documents().stream().filter(d -> Kustomize.ObjectId.of(d).equals(target)).count(),
                    file + " targets " + target + ", which the base does not define");
        }
    }

    /** A patch whose target was renamed or whose values the base caught up with patches nothing. */
    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyPatchChangesItsTarget(String overlay) {
        Path dir = ManifestFiles.dir(overlay);
        RenderedRun base = RenderedRun.of("base");
        RenderedRun rendered = RenderedRun.of(overlay);
        for (Map<String, Object> entry : patchEntries(overlay)) {
            Kustomize.ObjectId target = Kustomize.patchTarget(dir, entry);
            HasMetadata before = base.objects().stream().filter(o -> matches(o, target)).findFirst().orElseThrow();
            HasMetadata after = rendered.objects().stream().filter(o -> matches(o, target)).findFirst().orElseThrow();
            after.getMetadata().setNamespace(null);
            assertNotEquals(before, after, entry.get("path") + " leaves " + target + " as the base has it");
        }
    }

    private static boolean matches(HasMetadata object, Kustomize.ObjectId id) {
        return object.getKind().equals(id.kind()) && object.getMetadata().getName().equals(id.name());
    }

    /**
     * Strategic merge adds list items whose key it does not find: a patch naming a container, env
     * variable or volume the base does not have adds a second one instead of changing the first.
     */
    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void patchesChangeContainersEnvAndVolumesInPlaceAndKeepTheRest(String overlay) {
        RenderedRun base = RenderedRun.of("base");
        RenderedRun rendered = RenderedRun.of(overlay);
        for (StatefulSet before : base.all(StatefulSet.class)) {
            StatefulSet after = rendered.get(StatefulSet.class, before.getMetadata().getName());
            assertEquals(names(before.getSpec().getTemplate().getSpec().getContainers(), Container::getName),
                    names(after.getSpec().getTemplate().getSpec().getContainers(), Container::getName), "containers of " + after.getMetadata().getName());
            assertEquals(names(before.getSpec().getTemplate().getSpec().getVolumes(), Volume::getName),
                    names(after.getSpec().getTemplate().getSpec().getVolumes(), Volume::getName), "volumes of " + after.getMetadata().getName());
            assertEquals(names(RenderedRun.container(before).getEnv(), EnvVar::getName), names(RenderedRun.container(after).getEnv(), EnvVar::getName),
                    "env of " + after.getMetadata().getName());
            assertEquals(RenderedRun.container(before).getVolumeMounts(), RenderedRun.container(after).getVolumeMounts());
            assertEquals(RenderedRun.container(before).getPorts(), RenderedRun.container(after).getPorts());
        }
        assertEquals(kinds(base.objects()), kinds(rendered.objects()), "an overlay adds or drops no objects");
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void imageEntriesNameAnImageTheBaseUses(String overlay) {
        Path file = ManifestFiles.dir(overlay).resolve("kustomization.yaml");
        Set<String> used = new java.util.HashSet<>();
        for (StatefulSet set : RenderedRun.of("base").all(StatefulSet.class)) {
            used.add(Kustomize.ImageRef.parse(RenderedRun.container(set).getImage()).name());
        }
        List<Map<String, Object>> images = Kustomize.maps(ManifestFiles.document(file), "images", file);
        assertFalse(images.isEmpty(), overlay + " should say which image (registry) it runs");
        for (Map<String, Object> image : images) {
            assertTrue(used.contains((String) image.get("name")), file + ": images entry " + image.get("name") + " matches no image of the base " + used);
        }
    }

    private static <T> Set<String> names(List<T> items, java.util.function.Function<T, String> name) {
        return items.stream().map(name).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    private static List<String> kinds(List<HasMetadata> objects) {
        List<String> ids = new ArrayList<>();
        objects.forEach(o -> ids.add(o.getKind() + "/" + o.getMetadata().getName()));
        ids.sort(null);
        return ids;
    }
}
