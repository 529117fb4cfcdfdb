package io.ringtrain.coordinator.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pod {@code ordinal} of a StatefulSet as the controller names and labels it and as the kubelet starts its
 * container: the environment (envFrom, then env, with downward-API fields and ConfigMap keys filled in)
 * and the args with {@code $(VAR)} references expanded (a reference to an undefined variable fails: the
 * kubelet would pass it on literally). The run creates no Secret; the one k8s/README.md tells users to create
 * ({@link #USER_SECRETS}) is there, and a reference to any other fails unless optional, as the pod would never start.
 */
record StatefulSetPod(RenderedRun run, StatefulSet set, int ordinal, String podIp) {

    static final String NODE_NAME = "node-1";
    /** Secrets the user created before launching (k8s/README.md), by name, with their keys. */
    static final Map<String, Map<String, String>> USER_SECRETS = Map.of("ringtrain-s3-credentials",
            Map.of("AWS_ACCESS_KEY_ID", "test-access-key", "AWS_SECRET_ACCESS_KEY", "test-secret-key"));
    private static final Pattern LABEL_FIELD = Pattern.compile("metadata\\.(labels|annotations)\\['([^']+)'\\]");

    String name() {
        return set.getMetadata().getName() + "-" + ordinal;
    }

    String namespace() {
        return run.namespace() != null ? run.namespace() : "default";
    }

    Container container() {
        return RenderedRun.container(set);
    }

    /** The Pod object the StatefulSet controller creates, as the API server would report it once running. */
    Pod pod() {
        Map<String, String> labels = new LinkedHashMap<>(set.getSpec().getTemplate().getMetadata().getLabels());
        labels.put("statefulset.kubernetes.io/pod-name", name());
        labels.put("apps.kubernetes.io/pod-index", Integer.toString(ordinal));
        return new PodBuilder()
                .withNewMetadata().withName(name()).withNamespace(namespace()).withLabels(labels).endMetadata()
                .withSpec(ManifestFiles.SERIALIZATION.clone(set.getSpec().getTemplate().getSpec()))
                .editSpec().withHostname(name()).withSubdomain(set.getSpec().getServiceName()).withNodeName(NODE_NAME).endSpec()
                .withNewStatus().withPhase("Running").withPodIP(podIp).endStatus()
                .build();
    }

    /** The container's environment as the kubelet builds it (plus HOSTNAME, which the runtime sets). */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOSTNAME", name());
        Container container = container();
        for (EnvFromSource source : container.getEnvFrom()) {
            if (source.getConfigMapRef() != null) {
                ConfigMap map = run.configMap(source.getConfigMapRef().getName()).orElse(null);
                if (map == null) {
                    require(Boolean.TRUE.equals(source.getConfigMapRef().getOptional()),
                            "envFrom ConfigMap " + source.getConfigMapRef().getName() + " is not in the manifests and not optional");
                    continue;
                }
                map.getData().forEach((k, v) -> env.put(prefixed(source, k), v));
            } else if (source.getSecretRef() != null) {
                require(Boolean.TRUE.equals(source.getSecretRef().getOptional()),
                        "envFrom Secret " + source.getSecretRef().getName() + " is required but the run does not create it");
            }
        }
        for (EnvVar var : container.getEnv()) {
            String value = var.getValueFrom() == null ? expand(var.getValue() == null ? "" : var.getValue(), env)
                    : valueFrom(var.getName(), var.getValueFrom());
            if (value != null) {
                env.put(var.getName(), value);
            }
        }
        return env;
    }

    /** The container's args after the kubelet's $(VAR) expansion. */
    List<String> args() {
        Map<String, String> env = environment();
        return container().getArgs().stream().map(arg -> expand(arg, env)).toList();
    }

    /** JAVA_TOOL_OPTIONS of the container. */
    JvmOptions jvm() {
        return JvmOptions.parse(environment().get("JAVA_TOOL_OPTIONS"));
    }

    /** The configuration ringtrain loads in this pod. */
    com.typesafe.config.Config config() {
        Map<String, String> env = environment();
        return PodConfig.of(env, JvmOptions.parse(env.get("JAVA_TOOL_OPTIONS")));
    }

    private static String prefixed(EnvFromSource source, String key) {
        return source.getPrefix() == null ? key : source.getPrefix() + key;
    }

    private String valueFrom(String name, EnvVarSource from) {
        if (from.getFieldRef() != null) {
            String path = from.getFieldRef().getFieldPath();
            Matcher m = LABEL_FIELD.matcher(path);
            if (m.matches()) {
                Map<String, String> values = m.group(1).equals("labels") ? pod().getMetadata().getLabels()
                        : set.getSpec().getTemplate().getMetadata().getAnnotations();
                return values == null ? "" : values.getOrDefault(m.group(2), "");
            }
            return switch (path) {
                case "metadata.name" -> name();
                case "metadata.namespace" -> namespace();
                case "status.podIP" -> podIp;
                case "spec.nodeName" -> NODE_NAME;
                case "spec.serviceAccountName" -> set.getSpec().getTemplate().getSpec().getServiceAccountName();
                default -> throw new AssertionError(name + ": fieldRef " + path + " is not modelled by StatefulSetPod");
            };
        }
        if (from.getConfigMapKeyRef() != null) {
            var ref = from.getConfigMapKeyRef();
            String value = run.configMap(ref.getName()).map(c -> c.getData().get(ref.getKey())).orElse(null);
            require(value != null || Boolean.TRUE.equals(ref.getOptional()),
                    name + ": ConfigMap " + ref.getName() + " key " + ref.getKey() + " is missing and not optional");
            return value;
        }
        if (from.getSecretKeyRef() != null) {
            var ref = from.getSecretKeyRef();
            String value = USER_SECRETS.getOrDefault(ref.getName(), Map.of()).get(ref.getKey());
            require(value != null || Boolean.TRUE.equals(ref.getOptional()),
                    name + ": Secret " + ref.getName() + " key " + ref.getKey() + " is required but nobody creates it");
            return value;
        }
        throw new AssertionError(name + ": this kind of valueFrom is not modelled by StatefulSetPod: " + from);
    }

    /** Kubernetes' $(VAR) expansion, with $$ for a literal $. */
    static String expand(String text, Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 == text.length()) {
                out.append(c);
            } else if (text.charAt(i + 1) == '$') {
                out.append('$');
                i++;
            } else if (text.charAt(i + 1) == '(' && text.indexOf(')', i) > 0) {
                int end = text.indexOf(')', i);
                String var = text.substring(i + 2, end);
                if (env.containsKey(var)) {
                    out.append(env.get(var));
                } else {
                    throw new AssertionError("'" + text + "' refers to $(" + var + "), which the container does not define;"
                            + " the kubelet would pass it on literally");
                }
                i = end;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}
