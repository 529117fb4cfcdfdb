package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ringtrain.protocol.checkpoint.CheckpointManifest;
import io.ringtrain.protocol.checkpoint.ShardEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Tag;

/**
 * Manifests come from storage, which anyone with write access to the bucket can fill: any bytes either parse into a
 * manifest that is valid, re-encodes to itself and can be inspected (as text, and as JSON that parses), or fail with
 * a {@link CheckpointException} that says what is wrong; nothing else escapes. In the suite this replays the inputs
 * under {@code src/test/resources/io/ringtrain/checkpoint/ManifestFuzzTestInputs} (seeds and every crash found);
 * fuzz with {@code JAZZER_FUZZ=1 mvn -pl checkpoint -am test -Dtest=ManifestFuzzTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("fuzz")
class ManifestFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest(maxDuration = "60s")
    void anyBytesAreAValidManifestOrACheckpointException(byte[] bytes) {
        CheckpointManifest manifest;
        try {
            manifest = ManifestFormat.parse(ByteBuffer.wrap(bytes), "s3://fuzz/run/step-000000000001/MANIFEST");
        } catch (CheckpointException refused) {
            assertFalse(refused.getMessage().isBlank(), "a refusal says why");
            return;
        }
        assertEquals(manifest, ManifestFormat.parse(ManifestFormat.encode(manifest), "re-encoded"), "re-encodes to itself");
        for (ShardEntry shard : manifest.getShardsList()) { // what a restore reads must be inside the state
            assertTrue(shard.getByteOffset() >= 0 && shard.getByteLength() <= manifest.getStateBytes() - shard.getByteOffset(),
                    "shard " + shard.getRank() + " [" + shard.getByteOffset() + " +" + shard.getByteLength() + ") is outside the "
                            + manifest.getStateBytes() + " bytes of state");
        }
        Inspection inspection = new Inspection("s3://fuzz/run/step-000000000001", manifest);
        assertFalse(inspection.toText().isEmpty());
        try {
            JSON.readTree(inspection.toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint inspect --json printed invalid JSON: " + e.getMessage(), e);
        }
    }
}
