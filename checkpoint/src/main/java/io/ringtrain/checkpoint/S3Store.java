package io.ringtrain.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.retries.DefaultRetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Checkpoints in an S3 bucket (AWS or any S3-compatible server: MinIO, Ceph, S3Proxy…). Objects
 * up to {@link S3StoreContext#partSize()} go up in one PUT; larger ones as a multipart upload whose
 * parts are sent in parallel. Both are atomic: the object appears whole or not at all. Reads are
 * ranged GETs. Every call is retried by {@link S3Retry} within a bounded time.
 */
public final class S3Store implements CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(S3Store.class);
    private static final String CONTENT_TYPE = "application/octet-stream";
    private static final int COPY_CHUNK = 256 * 1024;

    private final S3StoreContext context;
    private final S3Client client;
    private final S3Retry retry;
    private final ExecutorService partUploads;
    private final String bucket;
    private final String prefix;
    private final AtomicBoolean closed = new AtomicBoolean();

    private S3Store(S3StoreContext context, S3Client client) {
        this.context = context;
        this.client = client;
        this.retry = new S3Retry(context.retryBudget(), context.initialBackoff(), context.maxBackoff());
        this.bucket = context.location().bucket();
        this.prefix = context.location().path();
        AtomicInteger threads = new AtomicInteger();
        this.partUploads = Executors.newFixedThreadPool(context.uploadParallelism(), task -> {
            Thread thread = new Thread(task, "ringtrain-s3-part-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Opens the bucket a concluded-or-not context names and checks that it exists and is reachable. */
    public static S3Store open(S3StoreContext settings) {
        S3StoreContext context = settings.conclude();
        try {
            context.credentials().resolveCredentials();
        } catch (RuntimeException e) {
            throw new CheckpointException("no S3 credentials for " + context.location() + ": set AWS_ACCESS_KEY_ID and "
                    + "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (" + S3Retry.describe(e) + ")", e);
        }
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(ApacheHttpClient.builder()
                        .maxConnections(Math.max(16, 2 * context.uploadParallelism()))
                        .connectionTimeout(context.connectTimeout())
                        .socketTimeout(context.socketTimeout())
                        .build())
                .region(context.region())
                .credentialsProvider(context.credentials())
                .overrideConfiguration(c -> c.retryStrategy(DefaultRetryStrategy.doNotRetry()));
        if (context.endpoint() != null) {
            // S3-compatible servers rarely resolve bucket.host virtual hosts; path style always works.
            builder.endpointOverride(context.endpoint()).forcePathStyle(true);
        }
        S3Store store = new S3Store(context, builder.build());
        try {
            store.checkBucket();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * A request that failed for good. The two that happen to a run that was working are said in words, since they
     * need a person: the bucket was deleted, or the credentials were revoked or expired.
     */
    private CheckpointException failed(String what, Throwable e) {
        String hint = "";
        if (e instanceof S3Exception s3) {
            String code = s3.awsErrorDetails() == null ? "" : String.valueOf(s3.awsErrorDetails().errorCode());
            if ("NoSuchBucket".equals(code)) {
                hint = ". The bucket '" + bucket + "' does not exist (deleted during the run?): nothing can be saved or"
                        + " restored there; recreate it, or point the run at another location";
            } else if (s3.statusCode() == 403) {
                hint = ". Access was denied: the credentials may have been revoked or have expired, or the bucket policy"
                        + " changed; check them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, the pod's identity)";
            }
        }
        return new CheckpointException(what + " failed: " + S3Retry.describe(e) + hint, e);
    }

    private void checkBucket() {
        String where = "bucket '" + bucket + "' at " + context.endpointDescription();
        try {
            retry.run("HEAD " + where, () -> client.headBucket(b -> b.bucket(bucket)));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new CheckpointException(where + " does not exist: create it (e.g. `aws s3 mb s3://" + bucket
                        + "`) or fix the checkpoint URI " + context.location(), e);
            }
            if (e.statusCode() == 403) {
                throw new CheckpointException("access to " + where + " denied (HTTP 403): check the credentials "
                        + "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and the bucket policy", e);
            }
            throw new CheckpointException("cannot use " + where + ": " + S3Retry.describe(e), e);
        } catch (SdkException e) {
            throw new CheckpointException("cannot reach " + where + ": " + S3Retry.describe(e), e);
        }
    }

    @Override
    public String uri() {
        return context.location().toString();
    }

    @Override
    public void put(String key, ByteBuffer data) {
        ByteBuffer source = data.duplicate();
        String what = "PUT " + locate(key) + " (" + source.remaining() + " bytes)";
        try {
            if (source.remaining() <= context.partSize()) {
                retry.run(what, () -> client.putObject(b -> b.bucket(bucket).key(objectKey(key)), body(source)));
            } else {
                putMultipart(key, source, what);
            }
        } catch (SdkException e) {
            throw failed(what, e);
        }
    }

    private void putMultipart(String key, ByteBuffer source, String what) {
        String objectKey = objectKey(key);
        String uploadId = retry.run("start " + what,
                () -> client.createMultipartUpload(b -> b.bucket(bucket).key(objectKey).contentType(CONTENT_TYPE))).uploadId();
        try {
            List<Future<CompletedPart>> parts = new ArrayList<>();
            long partSize = context.partSize();
            int base = source.position();
            for (int number = 1; (long) (number - 1) * partSize < source.remaining(); number++) {
                int offset = (int) ((number - 1) * partSize);
                int length = (int) Math.min(partSize, source.remaining() - offset);
                ByteBuffer part = source.duplicate().position(base + offset).limit(base + offset + length).slice();
                int partNumber = number;
                parts.add(partUploads.submit(() -> {
                    String eTag = retry.run("part " + partNumber + " of " + what, () -> client.uploadPart(
                            b -> b.bucket(bucket).key(objectKey).uploadId(uploadId).partNumber(partNumber), body(part))).eTag();
                    return CompletedPart.builder().partNumber(partNumber).eTag(eTag).build();
                }));
            }
            List<CompletedPart> completed = new ArrayList<>(parts.size());
            for (Future<CompletedPart> part : parts) {
                completed.add(await(part, what));
            }
            retry.run("complete " + what, () -> client.completeMultipartUpload(b -> b.bucket(bucket).key(objectKey)
                    .uploadId(uploadId).multipartUpload(m -> m.parts(completed))));
        } catch (RuntimeException e) {
            abortQuietly(objectKey, uploadId);
            throw e;
        }
    }

    private static CompletedPart await(Future<CompletedPart> part, String what) {
        try {
            return part.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException(what + " interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new CheckpointException(what + " failed: " + e.getCause(), e.getCause());
        }
    }

    private void abortQuietly(String objectKey, String uploadId) {
        try {
            client.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
        } catch (RuntimeException e) {
            LOG.warn("could not abort multipart upload {} of s3://{}/{}: {}", uploadId, bucket, objectKey, S3Retry.describe(e));
        }
    }

    private static RequestBody body(ByteBuffer bytes) {
        return RequestBody.fromContentProvider(() -> new ByteBufferInputStream(bytes), bytes.remaining(), CONTENT_TYPE);
    }

    @Override
    public void read(String key, long offset, ByteBuffer dst) {
        if (!dst.hasRemaining()) {
            return;
        }
        int start = dst.position();
        long wanted = dst.remaining();
        String range = "bytes=" + offset + "-" + (offset + wanted - 1);
        String what = "GET " + locate(key) + " [" + offset + ", " + (offset + wanted) + ")";
        try {
            retry.run(what, () -> {
                dst.position(start);
                try (ResponseInputStream<GetObjectResponse> in = client.getObject(b -> b.bucket(bucket).key(objectKey(key)).range(range))) {
                    long available = in.response().contentLength() == null ? wanted : in.response().contentLength();
                    if (available < wanted) {
                        throw truncated(key, in.response().contentRange(), offset, wanted);
                    }
                    copy(in, dst);
                    return null;
                } catch (IOException e) {
                    throw SdkClientException.create(what + ": " + e.getMessage(), e);
                }
            });
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new CheckpointException(locate(key) + " does not exist", e);
            }
            if (e.statusCode() == 416) {
                throw truncated(key, "(object ends before " + offset + ")", offset, wanted);
            }
            throw failed(what, e);
        } catch (SdkException e) {
            throw failed(what, e);
        }
    }

    private CheckpointException truncated(String key, String contentRange, long offset, long wanted) {
        return new CheckpointException(locate(key) + " is too short (content range " + contentRange + ") but bytes ["
                + offset + ", " + (offset + wanted) + ") were needed: the object is truncated or not the one the manifest names");
    }

    private static void copy(InputStream in, ByteBuffer dst) throws IOException {
        // Heap chunk in between: the HTTP client only offers a stream, not a channel.
        byte[] chunk = new byte[(int) Math.min(COPY_CHUNK, dst.remaining())];
        while (dst.hasRemaining()) {
            int n = in.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
            if (n < 0) {
                throw new IOException("response ended " + dst.remaining() + " bytes early");
            }
            dst.put(chunk, 0, n);
        }
    }

    @Override
    public OptionalLong size(String key) {
        String what = "HEAD " + locate(key);
        try {
            return OptionalLong.of(retry.run(what, () -> client.headObject(b -> b.bucket(bucket).key(objectKey(key)))).contentLength());
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return OptionalLong.empty();
            }
            throw failed(what, e);
        } catch (SdkException e) {
            throw failed(what, e);
        }
    }

    @Override
    public List<StoredObject> list(String keyPrefix) {
        String fullPrefix = objectKey(keyPrefix);
        String what = "LIST " + locate(keyPrefix) + "*";
        List<StoredObject> objects = new ArrayList<>();
        try {
            String token = null;
            do {
                String continuation = token;
                ListObjectsV2Response page = retry.run(what, () -> client.listObjectsV2(
                        b -> b.bucket(bucket).prefix(fullPrefix).continuationToken(continuation)));
                for (S3Object object : page.contents()) {
                    objects.add(new StoredObject(object.key().substring(rootPrefixLength()), object.size()));
                }
                token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
            } while (token != null);
        } catch (SdkException e) {
            throw failed(what, e);
        }
        objects.sort((a, b) -> a.key().compareTo(b.key()));
        return objects;
    }

    @Override
    public void delete(String key) {
        String what = "DELETE " + locate(key);
        try {
            retry.run(what, () -> client.deleteObject(b -> b.bucket(bucket).key(objectKey(key))));
        } catch (SdkException e) {
            throw failed(what, e);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            partUploads.shutdownNow();
            client.close();
        }
    }

    @Override
    public String toString() {
        return uri();
    }

    private String objectKey(String key) {
        return prefix.isEmpty() ? key : prefix + "/" + key;
    }

    private int rootPrefixLength() {
        return prefix.isEmpty() ? 0 : prefix.length() + 1;
    }
}
