package io.ringtrain.coordinator.launch;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.ringtrain.checkpoint.CheckpointStore;
import io.ringtrain.checkpoint.S3Store;
import io.ringtrain.checkpoint.S3StoreContext;
import io.ringtrain.checkpoint.StoredObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * A launched run's checkpoints ({@code <spec.checkpoints.uri>/<name>/}), deleted with the run unless kept. The
 * credentials are the run's own (its Secret, when this user may read it), else the AWS SDK's default chain here.
 */
final class RunCheckpoints {

    private RunCheckpoints() {
    }

    /** @return the location deleted and how many objects it held */
    static String delete(TrainingRun run, KubernetesClient client, String namespace) {
        TrainingRun.S3 s3 = run.spec().checkpoints().s3();
        S3StoreContext context = new S3StoreContext().uri(run.spec().checkpoints().uri()).region(Region.of(s3.region()))
                .retryBudget(Duration.ofSeconds(15));
        if (!s3.endpoint().isEmpty()) {
            context.endpoint(URI.create(s3.endpoint()));
        }
        Map<String, String> credentials = secret(client, namespace, s3.secret());
        if (credentials.containsKey("AWS_ACCESS_KEY_ID") && credentials.containsKey("AWS_SECRET_ACCESS_KEY")) {
            context.credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create(credentials.get("AWS_ACCESS_KEY_ID"),
                    credentials.get("AWS_SECRET_ACCESS_KEY"))));
        }
        try (CheckpointStore store = S3Store.open(context)) {
            List<StoredObject> objects = store.list(run.name() + "/");
            for (StoredObject object : objects) {
                store.delete(object.key());
            }
            return objects.size() + " object(s) under " + store.locate(run.name() + "/");
        }
    }

    private static Map<String, String> secret(KubernetesClient client, String namespace, String name) {
        if (name.isEmpty()) {
            return Map.of();
        }
        try {
            Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
            if (secret == null || secret.getData() == null) {
                return Map.of();
            }
            Map<String, String> decoded = new java.util.HashMap<>();
            secret.getData().forEach((k, v) -> decoded.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
            return decoded;
        } catch (KubernetesClientException e) {
            return Map.of(); // not allowed to read it: the default chain may still have credentials
        }
    }
}
