package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The image and the manifests agree: the user the pods run as, the home they mount, an entrypoint that
 * runs the jar so that the pods' args are ringtrain's own, and a build context that carries the jar.
 * (No Docker engine here: this reads k8s/Dockerfile, it does not build it.)
 */
@Timeout(30)
class DockerfileTest {

    static final long IMAGE_UID = 10001;
    static final String IMAGE_HOME = "/home/ringtrain";
    static final String DEFAULT_JAR = "coordinator/target/ringtrain.jar";

    /** One FROM ... AS name stage: its base and its instructions, continuation lines joined. */
    record Stage(String base, String name, List<String> instructions) {
        List<String> all(String keyword) {
            return instructions.stream().filter(i -> i.startsWith(keyword + " ")).map(i -> i.substring(keyword.length() + 1).trim()).toList();
        }
    }

    static List<Stage> stages() throws IOException {
        List<String> lines = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(ManifestFiles.dir("Dockerfile"))) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
            } else {
                lines.add(current.append(trimmed).toString());
                current.setLength(0);
            }
        }
        List<Stage> stages = new ArrayList<>();
        Pattern from = Pattern.compile("FROM (\\S+)(?: AS (\\S+))?", Pattern.CASE_INSENSITIVE);
        List<String> globalArgs = new ArrayList<>();
        for (String line : lines) {
            Matcher m = from.matcher(line);
            if (m.matches()) {
                stages.add(new Stage(m.group(1), m.group(2), new ArrayList<>()));
            } else if (stages.isEmpty()) {
                globalArgs.add(line);
            } else {
                stages.get(stages.size() - 1).instructions().add(line);
            }
        }
        stages.add(0, new Stage("(global)", "(global)", globalArgs));
        return stages;
    }

    static Stage stage(String name) throws IOException {
        return stages().stream().filter(s -> name.equals(s.name())).findFirst().orElseThrow(() -> new AssertionError("no stage " + name));
    }

    @Test
    void theDefaultTargetIsTheCpuImageOnTheTemurin17Jre() throws IOException {
        List<Stage> stages = stages();
        Stage last = stages.get(stages.size() - 1);
        assertEquals("cpu", last.name(), "`docker build` without --target builds the last stage");
        assertTrue(stage("(global)").all("ARG").contains("JRE_IMAGE=eclipse-temurin:17-jre-jammy"), stage("(global)").instructions().toString());
        assertEquals("${JRE_IMAGE}", last.base());
    }

    @Test
    void bothImagesRunTheJarAsTheUserAndHomeThePodsExpect() throws IOException {
        for (String name : List.of("cpu", "cuda")) {
            Stage stage = stage(name);
            assertEquals(List.of("[\"java\", \"-jar\", \"/opt/ringtrain/ringtrain.jar\"]"), stage.all("ENTRYPOINT"),
                    name + ": exec-form entrypoint, so java is PID 1 and receives SIGTERM");
            assertEquals(List.of(IMAGE_UID + ":" + IMAGE_UID), stage.all("USER"), name + ": numeric non-root user");
            String useradd = stage.all("RUN").stream().filter(r -> r.contains("useradd")).findFirst().orElseThrow();
            assertTrue(useradd.contains("--uid " + IMAGE_UID) && useradd.contains("--home-dir " + IMAGE_HOME), useradd);
            assertTrue(stage.all("ARG").contains("RINGTRAIN_JAR=" + DEFAULT_JAR), name + ": the jar `mvn package` builds");
            assertTrue(stage.all("COPY").contains("${RINGTRAIN_JAR} /opt/ringtrain/ringtrain.jar"), stage.all("COPY").toString());
        }
        assertTrue(stage("cuda").all("COPY").contains("--from=jre /opt/java/openjdk /opt/java/openjdk"), "the CUDA image gets the same JRE");
    }

    @Test
    void theDefaultJarIsTheOneTheBuildMakesAndTheContextKeepsIt() throws IOException {
        String pom = Files.readString(ManifestFiles.root().getParent().resolve("coordinator/pom.xml"));
        assertTrue(pom.contains("<finalName>ringtrain</finalName>"), "coordinator's shaded jar is " + DEFAULT_JAR);
        List<String> ignore = Files.readAllLines(ManifestFiles.dir("Dockerfile.dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        boolean kept = false;
        for (String rule : ignore) {
            boolean negated = rule.startsWith("!");
            String glob = negated ? rule.substring(1) : rule;
            if (FileSystems.getDefault().getPathMatcher("glob:" + glob).matches(Path.of(DEFAULT_JAR))) {
                kept = negated;
            }
        }
        assertTrue(kept, "Dockerfile.dockerignore leaves " + DEFAULT_JAR + " out of the build context");
    }

    /** The pods give args only: a command would replace the entrypoint and bypass `java -jar`. */
    @Test
    void podsPassArgsToTheEntrypointAndNeverReplaceIt() {
        for (String variant : RenderedRun.VARIANTS) {
            RenderedRun run = RenderedRun.of(variant);
            for (StatefulSet set : run.all(StatefulSet.class)) {
                Container container = RenderedRun.container(set);
                assertTrue(container.getCommand().isEmpty(), variant + " " + set.getMetadata().getName() + " overrides the entrypoint");
                assertTrue(!container.getArgs().isEmpty(), set.getMetadata().getName() + " gives no ringtrain subcommand");
                assertNull(container.getWorkingDir(), "the image's WORKDIR is the writable home");
            }
        }
    }
}
