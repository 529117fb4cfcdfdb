package io.ringtrain.checkpoint;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A parsed checkpoint location: {@code file:///abs/path}, a plain path, or
 * {@code s3://bucket/prefix?endpoint=…&region=…}. For S3, {@code path} is the key prefix without
 * leading or trailing '/'; for files, it is an absolute, normalized path.
 */
record StoreUri(String scheme, String bucket, String path, Map<String, String> query) {
    static final String FILE = "file";
    static final String S3 = "s3";
    private static final Set<String> S3_PARAMETERS = Set.of("endpoint", "region");
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):.*", Pattern.DOTALL);
    private static final String FORMS = "use file:///absolute/path, a plain path, or s3://bucket/prefix";
    /** What S3 and the stores compatible with it accept in a bucket name (S3 itself is stricter: lower case, 3-63). */
    private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9._-]+");

    StoreUri {
        query = Collections.unmodifiableMap(new LinkedHashMap<>(query)); // keeps the user's order when printed
    }

    static StoreUri parse(String text) {
        if (text == null || text.isBlank()) {
            throw new CheckpointException("empty checkpoint location: " + FORMS);
        }
        var scheme = SCHEME.matcher(text);
        if (!scheme.matches() || scheme.group(1).length() == 1) { // "C:..." would be a drive letter
            return ofPath(text, text);
        }
        String name = scheme.group(1).toLowerCase();
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new CheckpointException("cannot parse checkpoint location '" + text + "': " + e.getMessage()
                    + "; " + FORMS);
        }
        return switch (name) {
            case FILE -> parseFile(text, uri);
            case S3 -> parseS3(text, uri);
            default -> throw new CheckpointException("unknown scheme '" + name + "' in checkpoint location '"
                    + text + "': " + FORMS);
        };
    }

    private static StoreUri parseFile(String text, URI uri) {
        if (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty()) {
            throw new CheckpointException("file location '" + text + "' names host '" + uri.getRawAuthority()
                    + "': write file:///absolute/path (three slashes) or a plain path");
        }
        if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new CheckpointException("file location '" + text + "' is not absolute: write file:///absolute/path "
                    + "or a plain (relative or absolute) path");
        }
        if (uri.getRawQuery() != null) {
            throw new CheckpointException("file location '" + text + "' has a query ('?" + uri.getRawQuery()
                    + "'); query parameters only apply to s3:// locations");
        }
        return ofPath(uri.getPath(), text);
    }

    private static StoreUri ofPath(String path, String text) {
        try {
            return new StoreUri(FILE, null, Path.of(path).toAbsolutePath().normalize().toString(), Map.of());
        } catch (InvalidPathException e) {
            throw new CheckpointException("'" + text + "' is not a valid path: " + e.getMessage() + "; " + FORMS);
        }
    }

    private static StoreUri parseS3(String text, URI uri) {
        String bucket = uri.getRawAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new CheckpointException("s3 location '" + text + "' has no bucket: write s3://bucket/prefix");
        }
        if (!BUCKET.matcher(bucket).matches()) {
            throw new CheckpointException("s3 location '" + text + "' names bucket '" + bucket + "': a bucket name has only"
                    + " letters, digits, '.', '-' and '_' (no user, port or escapes); write s3://bucket/prefix");
        }
        Map<String, String> query = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (!S3_PARAMETERS.contains(key) || eq < 0) {
                    throw new CheckpointException("s3 location '" + text + "': unknown or empty parameter '" + pair
                            + "'; allowed: endpoint=<url>, region=<name>");
                }
                try {
                    query.put(key, URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new CheckpointException("s3 location '" + text + "': parameter '" + pair + "' is not"
                            + " URL-encoded (" + e.getMessage() + "); write a '%' as %25");
                }
            }
        }
        return new StoreUri(S3, bucket, trimSlashes(uri.getPath() == null ? "" : uri.getPath()), query);
    }

    boolean isS3() {
        return S3.equals(scheme);
    }

    /** This location with {@code key} ('/'-separated, relative) appended. */
    StoreUri child(String key) {
        String relative = trimSlashes(key);
        if (relative.isEmpty()) {
            return this;
        }
        if (isS3()) {
            return new StoreUri(scheme, bucket, path.isEmpty() ? relative : path + "/" + relative, query);
        }
        return new StoreUri(scheme, null, Path.of(path).resolve(relative).normalize().toString(), query);
    }

    /** The last path segment ("" at a bucket or filesystem root). */
    String lastSegment() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }

    /** This location with its last path segment removed. */
    StoreUri parent() {
        int slash = path.lastIndexOf('/');
        if (isS3()) {
            return new StoreUri(scheme, bucket, slash < 0 ? "" : path.substring(0, slash), query);
        }
        Path parent = Path.of(path).getParent();
        return new StoreUri(scheme, null, parent == null ? path : parent.toString(), query);
    }

    /** This location without its query: the name of an object or directory, for messages. */
    String withoutQuery() {
        return new StoreUri(scheme, bucket, path, Map.of()).toString();
    }

    /**
     * The location as a URI that {@link #parse} reads back as this location: characters a URI cannot hold as they
     * are (a space, '#', '%', '?' in a directory name; '&' or '=' in a parameter) are escaped. Stores are opened
     * again from it, and every object is located from it.
     */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        try {
            out.append(isS3() ? new URI(S3, bucket, path.isEmpty() ? null : "/" + path, null, null)
                    : new URI(FILE, "", path, null, null));
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot print location " + scheme + " " + bucket + " " + path, e);
        }
        char separator = '?';
        for (var parameter : query.entrySet()) {
            out.append(separator).append(parameter.getKey()).append('=')
                    .append(encodeQueryValue(parameter.getValue()));
            separator = '&';
        }
        return out.toString();
    }

    /**
     * Escapes what {@link #parse} would misread in a parameter ('&', '=', '+', '%', '#', spaces, anything a URI
     * cannot hold) and keeps the rest readable: an endpoint prints as {@code endpoint=http://10.0.0.5:9000}.
     */
    private static String encodeQueryValue(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~:/?@!$'()*,;".indexOf(c) >= 0)) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    private static String trimSlashes(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && text.charAt(start) == '/') {
            start++;
        }
        while (end > start && text.charAt(end - 1) == '/') {
            end--;
        }
        return text.substring(start, end);
    }
}
