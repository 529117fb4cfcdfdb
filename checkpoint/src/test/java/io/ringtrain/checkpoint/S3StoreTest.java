package io.ringtrain.checkpoint;

import static io.ringtrain.checkpoint.TestStates.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

@Timeout(60)
class S3StoreTest extends StoreTestBase {

    @Test
    void objectLargerThanAPartGoesUpAsMultipartAndReadsBackByRanges() {
        String bucket = s3.newBucket();
        ByteBuffer data = TestStates.random(12L << 20, 70); // 5 + 5 + 2 MiB parts
        try (CheckpointStore store = S3Store.open(S3Server.context("s3://" + bucket + "/root?endpoint=" + s3.endpoint()))) {
            store.put("run/step-000000000001/shard-0-of-1.bin", data);

            String eTag;
            try (S3Client raw = rawClient()) {
                eTag = raw.headObject(b -> b.bucket(bucket).key("root/run/step-000000000001/shard-0-of-1.bin")).eTag();
            }
            assertTrue(eTag.endsWith("-3\""), "multipart ETag ends in -<parts>: " + eTag);
            ByteBuffer middle = ByteBuffer.allocateDirect(6 << 20);
            store.read("run/step-000000000001/shard-0-of-1.bin", 3 << 20, middle);
            assertSameBytes(data.duplicate().position(3 << 20).limit(9 << 20), middle.flip(), "ranged read across parts");
        }
    }

    @Test
    void keysAreRelativeToThePrefixAndListedInOrder() {
        String bucket = s3.newBucket();
        try (CheckpointStore store = S3Store.open(S3Server.context("s3://" + bucket + "/a/b?endpoint=" + s3.endpoint()))) {
            store.put("r/step-000000000002/x", ByteBuffer.wrap(new byte[3]));
            store.put("r/step-000000000001/y", ByteBuffer.wrap(new byte[5]));
            assertEquals(List.of(new StoredObject("r/step-000000000001/y", 5), new StoredObject("r/step-000000000002/x", 3)),
                    store.list("r/"));
            assertEquals(5, store.size("r/step-000000000001/y").orElseThrow());
            assertTrue(store.size("r/none").isEmpty());
            String message = assertThrows(CheckpointException.class, () -> store.read("r/none", 0, ByteBuffer.allocate(1))).getMessage();
            assertTrue(message.contains("s3://" + bucket + "/a/b/r/none does not exist"), message);
            store.delete("r/step-000000000002/x");
            assertEquals(1, store.list("").size());
        }
    }

    private static S3Client rawClient() {
        return S3Client.builder().endpointOverride(s3.endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Server.IDENTITY, S3Server.SECRET)))
                .httpClient(ApacheHttpClient.create())
                .build();
    }
}
