package io.ringtrain.coordinator.launch;

import java.util.regex.Pattern;

/** Kubernetes' rules for names, label keys and label values, checked before the API server would refuse them. */
final class KubernetesNames {

    private static final Pattern DNS_1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_1123_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

    private KubernetesNames() {
    }

    /** A Service name (and so a run name, which names the run's Services): lower-case letters, digits and '-', starting with a letter. */
    static void requireDns1035Label(String value, int maxLength, String field, String why) {
        if (value.length() > maxLength || !DNS_1035_LABEL.matcher(value).matches()) {
            throw new RunSpecException(field + " '" + value + "' is not a valid name: use lower-case letters, digits and '-', start"
                    + " with a letter, end with a letter or digit, at most " + maxLength + " characters" + why);
        }
    }

    static void requireDns1123Label(String value, String field) {
        if (value.length() > 63 || !DNS_1123_LABEL.matcher(value).matches()) {
            throw new RunSpecException(field + " '" + value + "' is not a valid name: use lower-case letters, digits and '-',"
                    + " starting and ending with a letter or digit, at most 63 characters");
        }
    }

    static void requireDns1123Subdomain(String value, String field) {
        if (value.length() > 253 || !DNS_1123_SUBDOMAIN.matcher(value).matches()) {
            throw new RunSpecException(field + " '" + value + "' is not a valid name: use lower-case letters, digits, '-' and '.',"
                    + " starting and ending with a letter or digit, at most 253 characters");
        }
    }

    /** A label or annotation key: [prefix/]name, the prefix a DNS subdomain, the name at most 63 characters. */
    static void requireQualifiedName(String key, String field) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        boolean ok = name.length() <= 63 && LABEL_NAME.matcher(name).matches();
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            ok &= !prefix.isEmpty() && prefix.length() <= 253 && DNS_1123_SUBDOMAIN.matcher(prefix).matches();
        }
        if (!ok) {
            throw new RunSpecException(field + " has key '" + key + "', which is not a valid key: [prefix/]name, the name at most"
                    + " 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, the prefix a DNS name");
        }
    }

    static void requireLabelValue(String value, String field) {
        if (!value.isEmpty() && (value.length() > 63 || !LABEL_NAME.matcher(value).matches())) {
            throw new RunSpecException(field + " '" + value + "' is not a valid label value: at most 63 letters, digits, '-', '_'"
                    + " or '.', starting and ending with a letter or digit (or empty)");
        }
    }
}
