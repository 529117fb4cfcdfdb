package io.ringtrain.coordinator.k8s;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import java.util.Map;

/**
 * The configuration ringtrain's JVM in a pod loads ({@code ConfigFactory.load()}): its -D properties over
 * application.conf over every reference.conf on the class path, with {@code ${?RINGTRAIN_...}} resolved
 * from the pod's environment instead of this test JVM's.
 */
final class PodConfig {

    private PodConfig() {
    }

    static Config of(Map<String, String> environment, JvmOptions jvm) {
        ClassLoader loader = PodConfig.class.getClassLoader();
        Config reference = ConfigFactory.parseResources(loader, "reference.conf");
        Config application = ConfigFactory.parseResourcesAnySyntax(loader, "application");
        Config properties = ConfigFactory.parseProperties(jvm.systemProperties());
        // Environment variables only fill ${?VAR} substitutions; as a last fallback at the root they do exactly that.
        Config environmentAsRoot = ConfigFactory.parseMap(environment);
        return properties.withFallback(application).withFallback(reference).withFallback(environmentAsRoot)
                .resolve(ConfigResolveOptions.noSystem());
    }
}
