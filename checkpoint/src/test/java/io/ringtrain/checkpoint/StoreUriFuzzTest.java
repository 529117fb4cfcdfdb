package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;

/**
 * Checkpoint locations come from users (--checkpoint-dir, run specs): any text either parses into a location that
 * prints as text parsing back to the same location (stores are re-opened from their printed URI, and every object
 * key is located from it), or fails with a {@link CheckpointException}. Inputs: {@code StoreUriFuzzTestInputs};
 * fuzz with {@code JAZZER_FUZZ=1 mvn -pl checkpoint -am test -Dtest=StoreUriFuzzTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("fuzz")
class StoreUriFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void anyTextIsALocationThatRoundTripsOrACheckpointException(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        StoreUri uri;
        try {
            uri = StoreUri.parse(text);
        } catch (CheckpointException refused) {
            assertFalse(refused.getMessage().isBlank(), "a refusal says why");
            return;
        }
        StoreUri again = StoreUri.parse(uri.toString());
        assertEquals(uri, again, "'" + text + "' parsed to " + uri + ", which parses to " + again);
        StoreUri shard = uri.child("run/step-000000000001/shard-0-of-2.bin");
        assertEquals(uri, shard.parent().parent().parent(), "a child's parents lead back to " + uri);
        assertEquals(shard, StoreUri.parse(shard.toString()), "an object's printed location names it");
    }
}
