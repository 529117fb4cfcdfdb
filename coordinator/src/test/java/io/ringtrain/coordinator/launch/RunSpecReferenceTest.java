package io.ringtrain.coordinator.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's run spec reference lists every field the reader knows, so users never meet an undocumented one. */
@Timeout(30)
class RunSpecReferenceTest {

    @Test
    void theReadmeReferenceHasARowForEveryField() throws IOException {
        String readme = Files.readString(readme());
        List<String> missing = new ArrayList<>();
        for (String field : fields("", TrainingRunWriter.tree(TrainingRunReader.parse(TrainingRunReaderTest.MINIMAL)))) {
            if (!readme.contains("| `" + field + "` |")) {
                missing.add(field);
            }
        }
        assertEquals(List.of(), missing, "fields without a row in README.md's run spec reference");
    }

    /** Leaf fields: scalars, lists and free-form maps (empty in the canonical minimal spec); structural maps are walked. */
    private static List<String> fields(String path, Map<String, Object> tree) {
        List<String> out = new ArrayList<>();
        tree.forEach((key, value) -> {
            String field = path.isEmpty() ? key : path + "." + key;
            if (field.equals("apiVersion") || field.equals("kind")) {
                return;
            }
            if (value instanceof Map<?, ?> map && !map.isEmpty()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> nested = (Map<String, Object>) map;
                out.addAll(fields(field, nested));
            } else {
                out.add(field);
            }
        });
        return out;
    }

    private static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("k8s"))) {
                return dir.resolve("README.md");
            }
        }
        throw new IllegalStateException("no README.md above " + Path.of("").toAbsolutePath());
    }
}
