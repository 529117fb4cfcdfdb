package io.ringtrain.coordinator.kube;

import java.net.URI;
import java.util.List;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

/** A real S3 protocol server (S3Proxy, in memory, SigV4) on 127.0.0.1 and a free port: the emulated cluster's object store. */
public final class S3ProxyServer implements AutoCloseable {
    public static final String IDENTITY = "ringtrain-e2e";
    public static final String SECRET = "ringtrain-e2e-secret";

    private final BlobStore blobs;
    private final S3Proxy proxy;

    private S3ProxyServer(BlobStore blobs, S3Proxy proxy) {
        this.blobs = blobs;
        this.proxy = proxy;
    }

    /** @param bucket created empty */
    public static S3ProxyServer start(String bucket) throws Exception {
        BlobStore blobs = new TransientNio2BlobStore();
        S3Proxy proxy = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V4, IDENTITY, SECRET).jettyMaxThreads(16).build();
        proxy.start();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start within 20 s: " + proxy.getState());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // Jetty's start has no callback to wait on
        }
        blobs.createContainer(bucket);
        return new S3ProxyServer(blobs, proxy);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    /** Every object key in {@code bucket} under {@code prefix}, sorted. */
    public List<String> keys(String bucket, String prefix) {
        return blobs.list(software.amazon.awssdk.services.s3.model.ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
                .contents().stream().map(software.amazon.awssdk.services.s3.model.S3Object::key).sorted().toList();
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
