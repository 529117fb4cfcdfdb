package io.ringtrain.coordinator.launch;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/** Kubernetes objects as one multi-document YAML stream, as `kubectl apply -f` reads it and people write it. */
public final class RunYaml {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    /** Quotes only where YAML needs it, and always around strings that look like numbers ("25520" stays a string). */
    private static final YAMLMapper YAML = YAMLMapper.builder().disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
            .enable(YAMLWriteFeature.MINIMIZE_QUOTES).enable(YAMLWriteFeature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLWriteFeature.INDENT_ARRAYS_WITH_INDICATOR).enable(YAMLWriteFeature.LITERAL_BLOCK_STYLE)
            .disable(YAMLWriteFeature.SPLIT_LINES).build();

    private RunYaml() {
    }

    public static String of(List<HasMetadata> objects) {
        StringBuilder out = new StringBuilder();
        for (HasMetadata object : objects) {
            out.append("---\n").append(of(object));
        }
        return out.toString();
    }

    public static String of(HasMetadata object) {
        return of(SERIALIZATION.convertValue(object, Map.class));
    }

    /** A document already as maps and lists. */
    public static String of(Map<?, ?> document) {
        String yaml = YAML.writeValueAsString(document);
        return yaml.endsWith("\n") ? yaml : yaml + "\n";
    }
}
