package io.ringtrain.coordinator.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/**
 * fabric8's Kubernetes mock API server in CRUD mode over HTTPS, with what ringtrain needs of a real one and the mock
 * lacks: a Content-Type on its answers (Pekko's discovery insists on one), server-side apply (modelled: create when
 * absent, else the applied object merged in as an RFC 7386 merge patch, lists replaced, so fields the manager
 * stopped setting are not removed and no conflicts are detected; the mock's own merge appends to lists), and pod logs
 * (from whoever plays the kubelet). Tests can make it refuse requests (403) and
 * count its writes.
 */
public final class EmulatedApiServer implements AutoCloseable {

    /** One request the server answers with {@code code} instead: method and a part of the path. */
    private record Refusal(String method, String pathPart, int code, String message) {
    }

    private static final io.fabric8.kubernetes.client.utils.KubernetesSerialization JSON =
            new io.fabric8.kubernetes.client.utils.KubernetesSerialization();

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final List<String> writes = new CopyOnWriteArrayList<>();
    private final List<Refusal> refusals = new CopyOnWriteArrayList<>();
    private volatile BiFunction<String, String, String> logs = (namespace, pod) -> null;
    private final Dispatcher dispatcher = new Dispatcher();

    /** Held, so that the level stays: the mock server logs every request at INFO, thousands in a run. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private EmulatedApiServer() {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, true);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    public static EmulatedApiServer start() {
        return new EmulatedApiServer();
    }

    /** A client with full access, for tests and emulated controllers. */
    public KubernetesClient client() {
        return client;
    }

    public String host() {
        return server.getHostName();
    }

    public int port() {
        return server.getPort();
    }

    /** The server's self-signed certificate (PEM): what a pod's service account mount holds as ca.crt. */
    public Path caCertificate() {
        return Path.of(server.getSelfSignedCertificate().certificatePath());
    }

    /** A kubeconfig for the ringtrain CLI: this server, its CA, a token, {@code namespace} as the context's. */
    public Path kubeconfig(Path dir, String namespace) throws IOException {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: emulated
                    cluster:
                      server: https://%s:%d
                      certificate-authority: %s
                contexts:
                  - name: emulated
                    context: {cluster: emulated, user: tester, namespace: %s}
                current-context: emulated
                users:
                  - name: tester
                    user: {token: test-token}
                """.formatted(host(), port(), caCertificate(), namespace);
        return Files.writeString(dir.resolve("kubeconfig-" + namespace), yaml);
    }

    /** Every request but reads, as "METHOD path" (query left out), in order. */
    public List<String> writes() {
        return List.copyOf(writes);
    }

    /** Forgets every object, write, refusal and log source: as new, without the cost of a new server (TLS, a certificate). */
    public void reset() {
        dispatcher.reset();
        writes.clear();
        refusals.clear();
        logs = (namespace, pod) -> null;
    }

    /** Forgets the writes so far (a test's own setup). */
    public void forgetWrites() {
        writes.clear();
    }

    /** From now on, answers {@code method} requests whose path contains {@code pathPart} with {@code code}. */
    public void refuse(String method, String pathPart, int code, String message) {
        refusals.add(new Refusal(method, pathPart, code, message));
    }

    /** Where pod logs come from: (namespace, pod) -> the log, or null for none. */
    public void logs(BiFunction<String, String, String> source) {
        logs = source;
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    private final class Dispatcher extends KubernetesCrudDispatcher {

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
            for (Refusal r : refusals) {
                if (r.method().equals(request.getMethod()) && bare.contains(r.pathPart())) {
                    return status(r.code(), r.message());
                }
            }
            if (request.method() != HttpMethod.GET) {
                writes.add(request.getMethod() + " " + bare);
            } else if (bare.endsWith("/log")) {
                String[] parts = bare.split("/"); // /api/v1/namespaces/<ns>/pods/<pod>/log
                String log = logs.apply(parts[4], parts[6]);
                return log == null ? status(404, "no log for pod " + parts[6]) : new MockResponse().setResponseCode(200).setBody(log)
                        .setHeader("Content-Type", "text/plain");
            }
            String type = request.getHeader("Content-Type");
            if (request.method() == HttpMethod.PATCH && type != null && type.startsWith("application/apply-patch")) {
                return apply(request, bare);
            }
            MockResponse response = super.dispatch(request);
            if (response != null && response.getWebSocketListener() == null && response.getHeaders().get("Content-Type") == null) {
                response.setHeader("Content-Type", "application/json");
            }
            return response;
        }

        /** Server-side apply, modelled: create when absent, else merge the applied object in. */
        private MockResponse apply(RecordedRequest request, String bare) {
            Buffer body = new Buffer(request.getBody().getBytes());
            if (super.handleGet(bare).code() == 404) {
                String collection = bare.substring(0, bare.lastIndexOf('/'));
                MockResponse created = super.handleCreate(new RecordedRequest("HTTP/1.1", HttpMethod.POST, collection,
                        Headers.builder().add("Content-Type", "application/json").build(), body));
                return created.setHeader("Content-Type", "application/json");
            }
            Map<String, Object> live = JSON.unmarshal(super.handleGet(bare).getBody().readUtf8(), Map.class);
            Map<String, Object> merged = mergePatch(live, JSON.unmarshal(new String(body.getBytes(), java.nio.charset.StandardCharsets.UTF_8),
                    Map.class));
            MockResponse updated = super.handleUpdate(new RecordedRequest("HTTP/1.1", HttpMethod.PUT, bare,
                    Headers.builder().add("Content-Type", "application/json").build(), new Buffer(JSON.asJson(merged).getBytes(
                    java.nio.charset.StandardCharsets.UTF_8))));
            return updated.setHeader("Content-Type", "application/json");
        }

        /** RFC 7386: objects merge key by key, null removes a key, anything else (lists too) replaces. */
        @SuppressWarnings("unchecked")
        private static Map<String, Object> mergePatch(Map<String, Object> target, Map<String, Object> patch) {
            Map<String, Object> out = new java.util.LinkedHashMap<>(target);
            patch.forEach((key, value) -> {
                if (value == null) {
                    out.remove(key);
                } else if (value instanceof Map<?, ?> m && out.get(key) instanceof Map<?, ?> t) {
                    out.put(key, mergePatch((Map<String, Object>) t, (Map<String, Object>) m));
                } else {
                    out.put(key, value);
                }
            });
            return out;
        }

        private static MockResponse status(int code, String message) {
            String json = "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\",\"code\":" + code + ",\"message\":\""
                    + message.replace("\"", "'") + "\",\"reason\":\"" + (code == 403 ? "Forbidden" : "NotFound") + "\"}";
            return new MockResponse().setResponseCode(code).setBody(json).setHeader("Content-Type", "application/json");
        }
    }

    /** For messages: what a 403 from a real API server says. */
    public static String forbidden(String verb, String resource, String namespace) {
        return resource + " is forbidden: User \"tester\" cannot " + verb + " resource \"" + resource + "\" in API group \"\" in the"
                + " namespace \"" + namespace + "\"";
    }
}
