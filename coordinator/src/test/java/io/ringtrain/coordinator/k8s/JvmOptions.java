package io.ringtrain.coordinator.k8s;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/** A container's JAVA_TOOL_OPTIONS, read the way the JVM reads it (whitespace-separated options). */
record JvmOptions(List<String> options) {

    static JvmOptions parse(String javaToolOptions) {
        String text = javaToolOptions == null ? "" : javaToolOptions.trim();
        return new JvmOptions(text.isEmpty() ? List.of() : Arrays.asList(text.split("\\s+")));
    }

    /** The -D system properties. */
    Properties systemProperties() {
        Properties properties = new Properties();
        for (String option : options) {
            if (option.startsWith("-D")) {
                int eq = option.indexOf('=');
                properties.setProperty(eq < 0 ? option.substring(2) : option.substring(2, eq), eq < 0 ? "" : option.substring(eq + 1));
            }
        }
        return properties;
    }

    Optional<String> property(String name) {
        return Optional.ofNullable(systemProperties().getProperty(name));
    }

    /** -Xmx in bytes; empty when not set (the JVM then takes a share of the container's memory). */
    Optional<Long> maxHeapBytes() {
        return last("-Xmx").map(JvmOptions::bytes);
    }

    Optional<Long> maxDirectMemoryBytes() {
        return last("-XX:MaxDirectMemorySize=").map(JvmOptions::bytes);
    }

    /** JavaCPP's cap on ND4J's off-heap memory; its default is the maximum heap. */
    Optional<Long> javacppMaxBytes() {
        return property("org.bytedeco.javacpp.maxbytes").map(JvmOptions::bytes);
    }

    private Optional<String> last(String prefix) {
        String found = null;
        for (String option : options) {
            if (option.startsWith(prefix)) {
                found = option.substring(prefix.length());
            }
        }
        return Optional.ofNullable(found);
    }

    /** A JVM size: digits with an optional k, m, g or t suffix. */
    static long bytes(String size) {
        String s = size.trim().toLowerCase(Locale.ROOT);
        long unit = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1;
        };
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            return Long.parseLong(digits) * unit;
        } catch (NumberFormatException e) {
            throw new AssertionError("'" + size + "' is not a JVM size (digits with k, m, g or t)");
        }
    }
}
