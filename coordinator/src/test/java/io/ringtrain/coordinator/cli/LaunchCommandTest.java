package io.ringtrain.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.ringtrain.coordinator.k8s.RunNames;
import io.ringtrain.coordinator.kube.EmulatedApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `ringtrain launch` against an emulated API server (fabric8's mock, HTTPS, CRUD, server-side apply modelled): what it
 * creates, that an unchanged spec writes nothing, that a changed one is applied only with --update and says what
 * changes, and that bad input and faults end in one line, a non-zero exit, and nothing left half-applied.
 */
@Timeout(60)
class LaunchCommandTest {

    static final String NS = "ml";
    static final String SPEC = """
            apiVersion: ringtrain.io/v1alpha1
            kind: TrainingRun
            metadata:
              name: mlp-demo
            spec:
              image: registry.example.com/ml/ringtrain:0.1.0
              model: mlp
              checkpoints:
                uri: s3://ckpt/runs
                s3: {secret: store-credentials, endpoint: "http://minio:9000"}
            """;

    @TempDir
    Path dir;

    private static EmulatedApiServer server;
    private KubernetesClient client;
    private Path kubeconfig;
    private CliRunner cli;

    @BeforeEach
    void start() throws Exception {
        server.reset();
        client = server.client();
        kubeconfig = server.kubeconfig(dir, NS);
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("store-credentials").endMetadata()
                .withData(Map.of("AWS_ACCESS_KEY_ID", b64("id"), "AWS_SECRET_ACCESS_KEY", b64("secret"))).build()).create();
        server.forgetWrites();
    }

    @BeforeAll
    static void startServer() {
        server = EmulatedApiServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes());
    }

    private int launch(String spec, String... flags) throws Exception {
        Path file = Files.writeString(dir.resolve("run.yaml"), spec);
        List<String> args = new ArrayList<>(List.of("launch", file.toString(), "--kubeconfig", kubeconfig.toString()));
        args.addAll(List.of(flags));
        cli = new CliRunner();
        return cli.run(args.toArray(String[]::new));
    }

    private List<HasMetadata> objectsOfTheRun() {
        List<HasMetadata> objects = new ArrayList<>();
        Map<String, String> run = Map.of(RunNames.INSTANCE, "mlp-demo");
        objects.addAll(client.configMaps().inNamespace(NS).withLabels(run).list().getItems());
        objects.addAll(client.serviceAccounts().inNamespace(NS).withLabels(run).list().getItems());
        objects.addAll(client.rbac().roles().inNamespace(NS).withLabels(run).list().getItems());
        objects.addAll(client.rbac().roleBindings().inNamespace(NS).withLabels(run).list().getItems());
        objects.addAll(client.services().inNamespace(NS).withLabels(run).list().getItems());
        objects.addAll(client.apps().statefulSets().inNamespace(NS).withLabels(run).list().getItems());
        objects.addAll(client.policy().v1().podDisruptionBudget().inNamespace(NS).withLabels(run).list().getItems());
        objects.addAll(client.network().v1().networkPolicies().inNamespace(NS).withLabels(run).list().getItems());
        return objects;
    }

    @Test
    void launchAppliesTheRunOwnedByItsConfigMapAndAnUnchangedSpecWritesNothing() throws Exception {
        assertEquals(0, launch(SPEC), cli.err());
        assertTrue(cli.out().startsWith("run mlp-demo in namespace ml launched: created ConfigMap mlp-demo, ServiceAccount mlp-demo,"),
                cli.out());
        List<HasMetadata> objects = objectsOfTheRun();
        assertEquals(11, objects.size(), "ConfigMaps (run, status), ServiceAccount, Role, RoleBinding, 2 Services, 2 StatefulSets,"
                + " PodDisruptionBudget, NetworkPolicy");
        ConfigMap owner = client.configMaps().inNamespace(NS).withName("mlp-demo").get();
        for (HasMetadata object : objects) {
            assertEquals("ringtrain", object.getMetadata().getLabels().get(RunNames.MANAGED_BY));
            boolean isOwner = object instanceof ConfigMap && object.getMetadata().getName().equals("mlp-demo");
            if (!isOwner) {
                assertEquals(owner.getMetadata().getUid(), object.getMetadata().getOwnerReferences().get(0).getUid(),
                        object.getKind() + " " + object.getMetadata().getName() + " must be owned by the run's ConfigMap");
            }
        }
        assertTrue(server.writes().stream().allMatch(w -> w.startsWith("PATCH ")), "server-side apply only: " + server.writes());
        assertEquals(11, server.writes().size(), server.writes().toString());

        assertEquals(0, launch(SPEC), cli.err());
        assertEquals("run mlp-demo in namespace ml is unchanged: nothing to apply (11 objects hold the spec)", cli.out().lines().findFirst().orElse(""));
        assertEquals(11, server.writes().size(), "an unchanged spec writes nothing: " + server.writes());
    }

    @Test
    void aChangedSpecIsRefusedSayingWhatChangesAndAppliedWithUpdate() throws Exception {
        assertEquals(0, launch(SPEC), cli.err());
        int written = server.writes().size();
        String changed = SPEC.replace("  model: mlp\n", "  model: mlp\n  steps: 600\n  workers: {replicas: 6}\n");

        assertEquals(RingtrainCli.EXIT_FAILED, launch(changed));
        assertEquals("launch: run mlp-demo already exists in namespace ml with another spec (spec.steps: 300 -> 600;"
                + " spec.workers.replicas: 4 -> 6; spec.workers.min: 4 -> 6; spec.workers.max: 4 -> 6): add --update to apply the change,"
                + " or `ringtrain delete mlp-demo` first", cli.err().strip());
        assertEquals(written, server.writes().size(), "a refused change writes nothing");

        assertEquals(0, launch(changed, "--update"), cli.err());
        assertTrue(cli.out().contains("run mlp-demo in namespace ml updated:\n  spec.steps: 300 -> 600\n  spec.workers.replicas: 4 -> 6\n"), cli.out());
        assertTrue(cli.out().contains("applied ConfigMap mlp-demo, StatefulSet mlp-demo-coordinator, StatefulSet mlp-demo-worker,"
                + " PodDisruptionBudget mlp-demo-worker (7 objects unchanged)"), cli.out());
        StatefulSet workers = client.apps().statefulSets().inNamespace(NS).withName("mlp-demo-worker").get();
        assertEquals(6, workers.getSpec().getReplicas());
        List<String> args = client.apps().statefulSets().inNamespace(NS).withName("mlp-demo-coordinator").get().getSpec().getTemplate()
                .getSpec().getContainers().get(0).getArgs();
        assertEquals("600", args.get(args.indexOf("--steps") + 1), args.toString());
    }

    @Test
    void aMissingSecretIsOneLineAndNothingIsWritten() throws Exception {
        assertEquals(RingtrainCli.EXIT_FAILED, launch(SPEC.replace("store-credentials", "other-credentials")));
        assertEquals("launch: Secret other-credentials (spec.checkpoints.s3.secret) does not exist in namespace ml: create it (kubectl -n ml"
                + " create secret generic other-credentials --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...),"
                + " or set spec.checkpoints.s3.secret to \"\" to use workload identity", cli.err().strip());
        assertEquals(List.of(), server.writes());
    }

    @Test
    void aRefusedWriteUndoesEverythingWrittenBeforeIt() throws Exception {
        server.refuse("PATCH", "/networkpolicies/", 403, EmulatedApiServer.forbidden("patch", "networkpolicies", NS));
        assertEquals(RingtrainCli.EXIT_FAILED, launch(SPEC));
        String err = cli.err().strip();
        assertTrue(err.startsWith("launch: no permission to create NetworkPolicy mlp-demo in namespace ml (HTTP 403: networkpolicies is"
                + " forbidden: User 'tester' cannot patch resource"), err);
        assertTrue(err.endsWith("ask your cluster admin for a Role that allows it; undone: the 10 object(s) written before it were deleted"
                + " or put back as they were"), err);
        assertEquals(1, err.lines().count(), "one line");
        assertEquals(List.of(), objectsOfTheRun(), "nothing of the run is left");
    }

    @Test
    void aRefusedUpdatePutsBackWhatItChanged() throws Exception {
        assertEquals(0, launch(SPEC), cli.err());
        server.refuse("PATCH", "/poddisruptionbudgets/", 403, EmulatedApiServer.forbidden("patch", "poddisruptionbudgets", NS));
        assertEquals(RingtrainCli.EXIT_FAILED, launch(SPEC.replace("  model: mlp\n", "  model: mlp\n  workers: {replicas: 6}\n"), "--update"));
        assertTrue(cli.err().contains("no permission to update PodDisruptionBudget mlp-demo-worker"), cli.err());
        assertEquals(4, client.apps().statefulSets().inNamespace(NS).withName("mlp-demo-worker").get().getSpec().getReplicas(),
                "the worker StatefulSet is put back as it was");
        assertTrue(client.configMaps().inNamespace(NS).withName("mlp-demo").get().getData().get(RunNames.SPEC_KEY).contains("replicas: 4"));
    }

    @Test
    void anUnreachableApiServerIsOneLine() throws Exception {
        Path nowhere = Files.writeString(dir.resolve("nowhere"), Files.readString(kubeconfig)
                .replace(server.host() + ":" + server.port(), "127.0.0.1:1"));
        Path file = Files.writeString(dir.resolve("run.yaml"), SPEC);
        cli = new CliRunner();
        long start = System.nanoTime();
        assertEquals(RingtrainCli.EXIT_FAILED, cli.run("launch", file.toString(), "--kubeconfig", nowhere.toString()));
        assertTrue(cli.err().startsWith("launch: cannot reach the Kubernetes API server at https://127.0.0.1:1/"), cli.err());
        assertEquals(1, cli.err().strip().lines().count(), cli.err());
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "bounded: it gives up within seconds");
    }

    @Test
    void aSpecErrorIsExitTwoNamingTheFileAndField() throws Exception {
        assertEquals(RingtrainCli.EXIT_USAGE, launch(SPEC.replace("  model: mlp\n", "  model: mlp\n  workers: {replicas: 4, min: 5, max: 4}\n")));
        assertTrue(cli.err().startsWith("launch: " + dir.resolve("run.yaml") + ": spec.workers.min (5) is greater than spec.workers.max (4)"),
                cli.err());
        assertEquals(List.of(), server.writes());
    }

    @Test
    void dryRunPrintsTheObjectsWithoutAnyServer() throws Exception {
        Path file = Files.writeString(dir.resolve("run.yaml"), SPEC);
        cli = new CliRunner();
        assertEquals(0, cli.run("launch", file.toString(), "--dry-run", "-n", "team-a"), cli.err());
        List<String> kinds = cli.out().lines().filter(l -> l.startsWith("kind: ")).toList();
        assertEquals(List.of("kind: ConfigMap", "kind: ServiceAccount", "kind: Role", "kind: RoleBinding", "kind: ConfigMap", "kind: Service",
                "kind: StatefulSet", "kind: Service", "kind: StatefulSet", "kind: PodDisruptionBudget", "kind: NetworkPolicy"), kinds);
        assertTrue(cli.out().contains("  namespace: team-a\n"), cli.out());
        assertEquals(List.of(), server.writes());
    }

    @Test
    void aNamespaceInTheSpecAndAnotherOnTheCommandLineIsRefused() throws Exception {
        assertEquals(RingtrainCli.EXIT_USAGE, launch(SPEC.replace("  name: mlp-demo\n", "  name: mlp-demo\n  namespace: prod\n"), "-n", "dev"));
        assertTrue(cli.err().startsWith("launch: the spec's metadata.namespace (prod) and --namespace (dev) differ: give one of them"), cli.err());
        assertNotNull(cli.err());
    }
}
