package io.ringtrain.checkpoint;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every committed fuzz input (the seeds, and every crash a fuzzer found, kept once fixed) replayed through its
 * harness on every build, in milliseconds and without Jazzer's agent; Jazzer runs the same harnesses in the fuzz
 * profile (see the module's pom).
 */
class FuzzInputsTest {

    static Stream<Arguments> inputs() throws IOException, URISyntaxException {
        List<Arguments> all = new ArrayList<>();
        add(all, "ManifestFuzzTestInputs/anyBytesAreAValidManifestOrACheckpointException",
                new ManifestFuzzTest()::anyBytesAreAValidManifestOrACheckpointException);
        add(all, "StoreUriFuzzTestInputs/anyTextIsALocationThatRoundTripsOrACheckpointException",
                new StoreUriFuzzTest()::anyTextIsALocationThatRoundTripsOrACheckpointException);
        return all.stream();
    }

    private static void add(List<Arguments> all, String dir, Consumer<byte[]> harness) throws IOException, URISyntaxException {
        URL url = FuzzInputsTest.class.getResource(dir);
        if (url == null) {
            throw new IllegalStateException("no committed inputs at " + dir + " next to " + FuzzInputsTest.class.getName());
        }
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            for (Path f : files.sorted().toList()) {
                all.add(Arguments.of(dir + "/" + f.getFileName(), harness, Files.readAllBytes(f)));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void committedFuzzInputPassesItsHarness(String input, Consumer<byte[]> harness, byte[] bytes) {
        harness.accept(bytes);
    }
}
