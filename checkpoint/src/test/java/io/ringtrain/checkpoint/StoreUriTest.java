package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoreUriTest {
    @Test
    void plainPathsAndFileUrisNameTheSameDirectory() {
        assertEquals(StoreUri.parse("/tmp/ckpt"), StoreUri.parse("file:///tmp/ckpt/"));
        assertEquals(Path.of("rel").toAbsolutePath().toString(), StoreUri.parse("rel").path());
    }

    @Test
    void s3UriSplitsBucketPrefixAndSettings() {
        StoreUri uri = StoreUri.parse("s3://my-bucket/a/b/?endpoint=http://127.0.0.1:9000&region=eu-west-1");
        assertEquals("my-bucket", uri.bucket());
        assertEquals("a/b", uri.path());
        assertEquals(Map.of("endpoint", "http://127.0.0.1:9000", "region", "eu-west-1"), uri.query());
        assertEquals("s3://my-bucket/a/b/run/step-000000000001?endpoint=http://127.0.0.1:9000&region=eu-west-1",
                uri.child("run/step-000000000001").toString());
        assertEquals("s3://my-bucket/a?endpoint=http://127.0.0.1:9000&region=eu-west-1", uri.parent().toString());
    }

    @Test
    void badLocationsAreRejectedWithTheFormsThatWork() {
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse("hdfs://nn/ckpt")).getMessage().contains("unknown scheme 'hdfs'"));
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse("s3:///prefix")).getMessage().contains("has no bucket"));
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse("s3://b/p?secret=x")).getMessage().contains("unknown or empty parameter 'secret=x'"));
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse(" ")).getMessage().contains("empty checkpoint location"));
    }
}
