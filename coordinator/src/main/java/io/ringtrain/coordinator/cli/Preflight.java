package io.ringtrain.coordinator.cli;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/** Checks done before anything starts, each failing with a message that says what to change. */
final class Preflight {

    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://.*");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    private Preflight() {
    }

    /**
     * A checkpoint location: a path, file:///..., or s3://bucket/prefix. A local directory is
     * created and must be writable; returns the location in the form workers should use.
     */
    static String checkpointLocation(String location) {
        var scheme = SCHEME.matcher(location);
        if (scheme.matches()) {
            switch (scheme.group(1).toLowerCase(Locale.ROOT)) {
                case "s3" -> {
                    String bucket = location.substring("s3://".length()).split("/", 2)[0];
                    if (!BUCKET.matcher(bucket).matches()) {
                        throw new IllegalArgumentException("--checkpoint-dir " + location + ": '" + bucket
                                + "' is not a valid S3 bucket name; write s3://bucket/prefix");
                    }
                    return location;
                }
                case "file" -> {
                    return writableDirectory(Path.of(URI.create(location)), location).toUri().toString();
                }
                default -> throw new IllegalArgumentException("--checkpoint-dir " + location + ": unknown scheme '" + scheme.group(1)
                        + "'; use a path, file:///path or s3://bucket/prefix");
            }
        }
        return writableDirectory(Path.of(location), location).toString();
    }

    private static Path writableDirectory(Path dir, String given) {
        Path absolute = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(absolute);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("--checkpoint-dir " + given + ": cannot create directory " + absolute + " ("
                    + describe(e) + "); choose a writable --checkpoint-dir");
        }
        try {
            Files.delete(Files.createTempFile(absolute, ".ringtrain-write-check", ".tmp"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("--checkpoint-dir " + given + ": directory " + absolute + " is not writable ("
                    + describe(e) + "); choose a writable --checkpoint-dir");
        }
        return absolute;
    }

    /** An output file's directory must exist and be writable; returns the absolute path. */
    static Path outputFile(Path file, String flag) {
        Path absolute = file.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
            throw new IllegalArgumentException(flag + " " + file + ": directory " + parent + " does not exist or is not writable");
        }
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(flag + " " + file + " is a directory; name a file");
        }
        return absolute;
    }

    /** A fixed TCP port must be free now; port 0 (any) always is. */
    static void tcpPortFree(String host, int port, String flag) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalArgumentException(flag + " " + port + ": cannot listen on " + host + ":" + port + " (" + describe(e)
                    + "); choose another port, or 0 for any free port");
        }
    }

    /** A fixed UDP port must be free now; port 0 (any) always is. */
    static void udpPortFree(String host, int port, String flag) {
        if (port == 0) {
            return;
        }
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(host, port))) {
            socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalArgumentException(flag + " " + port + ": cannot listen on UDP " + host + ":" + port + " (" + describe(e)
                    + "); choose another port, or 0 for any free port");
        }
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
