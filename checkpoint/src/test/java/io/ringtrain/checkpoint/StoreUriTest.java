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

    /** Found by StoreUriFuzzTest: stores are re-opened, and objects located, from the printed location. */
    @Test
    void locationsWithCharactersAUriCannotHoldPrintAsUrisThatReadBackTheSame() {
        StoreUri dir = StoreUri.parse("/tmp/my checkpoints#1 100%/run?");
        assertEquals("/tmp/my checkpoints#1 100%/run?", dir.path());
        assertEquals("file:///tmp/my%20checkpoints%231%20100%25/run%3F", dir.toString());
        assertEquals(dir, StoreUri.parse(dir.toString()));
        assertEquals(dir.child("step-1/MANIFEST"), StoreUri.parse(dir.child("step-1/MANIFEST").toString()));

        StoreUri s3 = StoreUri.parse("s3://b/a%20b?endpoint=http%3A%2F%2Fh%3A9000%2Fx%26region%3Dy%2Bz");
        assertEquals(Map.of("endpoint", "http://h:9000/x&region=y+z"), s3.query());
        assertEquals("s3://b/a%20b?endpoint=http://h:9000/x%26region%3Dy%2Bz", s3.toString());
        assertEquals(s3, StoreUri.parse(s3.toString()));
    }

    @Test
    void badLocationsAreRejectedWithTheFormsThatWork() {
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse("s3://b/p?endpoint=%zz")).getMessage()
                .contains("cannot parse checkpoint location"));
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse("s3://key@b:9000/p")).getMessage()
                .contains("a bucket name has only letters"));
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse("hdfs://nn/ckpt")).getMessage().contains("unknown scheme 'hdfs'"));
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse("s3:///prefix")).getMessage().contains("has no bucket"));
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse("s3://b/p?secret=x")).getMessage().contains("unknown or empty parameter 'secret=x'"));
        assertTrue(assertThrows(CheckpointException.class, () -> StoreUri.parse(" ")).getMessage().contains("empty checkpoint location"));
    }
}
