package io.ringtrain.benchmarks.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/** S3Proxy on 127.0.0.1 (free port) with a filesystem store in a temporary directory, removed on close. */
final class EmbeddedS3 implements AutoCloseable {
    static final String BUCKET = "ringtrain-bench";
    final String identity = "bench-" + UUID.randomUUID();
    final String secret = UUID.randomUUID().toString();
    private final Path directory;
    private final S3Proxy proxy;

    EmbeddedS3() throws Exception {
        directory = Files.createTempDirectory("ringtrain-bench-s3-");
        FilesystemNio2BlobStore blobs = new FilesystemNio2BlobStore(directory.toString());
        blobs.createContainer(BUCKET);
        proxy = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V4, identity, secret).build();
        proxy.start();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start within 20 s (state " + proxy.getState() + ")");
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    Path directory() {
        return directory;
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        deleteTree(directory);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
