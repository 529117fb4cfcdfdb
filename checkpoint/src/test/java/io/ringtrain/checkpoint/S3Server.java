package io.ringtrain.checkpoint;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** A real S3 protocol server (S3Proxy, in-memory store, SigV4 auth) on 127.0.0.1 and a free port. */
final class S3Server implements AutoCloseable {
    static final String IDENTITY = "ringtrain-test";
    static final String SECRET = "ringtrain-test-secret";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final BlobStore blobs;
    private final S3Proxy proxy;

    private S3Server(BlobStore blobs, S3Proxy proxy) {
        this.blobs = blobs;
        this.proxy = proxy;
    }

    static S3Server start() {
        BlobStore blobs = new TransientNio2BlobStore();
        S3Proxy proxy = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V4, IDENTITY, SECRET).jettyMaxThreads(24).build();
        try {
            proxy.start();
            Await.until(() -> "STARTED".equals(proxy.getState()), Duration.ofSeconds(20), "S3Proxy to start");
        } catch (Exception e) {
            throw new IllegalStateException("cannot start S3Proxy", e);
        }
        return new S3Server(blobs, proxy);
    }

    int port() {
        return proxy.getPort();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** A fresh bucket, so tests sharing this server never see each other's objects. */
    String newBucket() {
        String name = "bucket-" + BUCKETS.incrementAndGet();
        blobs.createContainer(name);
        return name;
    }

    /** Deletes a bucket and everything in it, as an operator (or a lifecycle rule gone wrong) might mid-run. */
    void deleteBucket(String name) {
        blobs.deleteContainer(name);
    }

    /** A root URI in a fresh bucket, with this server as endpoint. */
    String newRootUri() {
        return "s3://" + newBucket() + "/ckpt?endpoint=" + endpoint();
    }

    /** Settings for a store at {@code uri} with test credentials and short, bounded retries. */
    static S3StoreContext context(String uri) {
        return new S3StoreContext().uri(uri)
                .credentials(StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, SECRET)))
                .partSize(S3StoreContext.MIN_PART_SIZE)
                .retryBudget(Duration.ofSeconds(10))
                .initialBackoff(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(500));
    }

    static Function<String, CheckpointStore> opener() {
        return uri -> S3Store.open(context(uri));
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop S3Proxy", e);
        }
    }
}
