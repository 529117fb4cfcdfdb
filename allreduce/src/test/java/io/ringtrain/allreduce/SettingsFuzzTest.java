package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.aeron.ChannelUri;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;

/**
 * Data-plane settings come from users (HOCON, -D properties, flags) and endpoints from other workers through the
 * coordinator: any of them is either taken, with every derived value in range, or refused with a
 * {@link DataPlaneException} naming it. Inputs are text, one {@code key=value} per line (the key {@code endpoint}
 * is an endpoint); {@code SettingsFuzzTestInputs}; fuzz with
 * {@code JAZZER_FUZZ=1 mvn -pl allreduce -am test -Dtest=SettingsFuzzTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("fuzz")
class SettingsFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void anySettingsAreTakenInRangeOrRefusedByName(byte[] input) {
        Map<String, Object> settings = new LinkedHashMap<>();
        String endpoint = null;
        for (String line : new String(input, StandardCharsets.UTF_8).split("\n", 16)) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.startsWith("endpoint=")) {
                endpoint = line.substring(eq + 1);
            } else if (eq >= 0) {
                settings.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        if (endpoint != null) {
            checkEndpoint(endpoint);
        }
        // Settings alone; the directory is fixed so that nothing here touches the file system.
        DataPlaneContext ctx = new DataPlaneContext().aeronDirectoryName("/tmp/ringtrain-fuzz-unused");
        try {
            ctx.apply(settings, "ringtrain.worker.data-plane.").conclude();
        } catch (DataPlaneException refused) {
            assertFalse(refused.getMessage().isBlank());
            return;
        }
        int term = ctx.termLength();
        assertTrue(Integer.bitCount(term) == 1 && term >= DataPlaneContext.MIN_TERM_LENGTH, "term " + term);
        assertTrue(ctx.mtuLength() % 32 == 0 && ctx.mtuLength() >= 128 && ctx.mtuLength() <= term / 8, "mtu " + ctx.mtuLength());
        assertTrue(ctx.maxPayloadLength() > 0 && ctx.maxIpcPayloadLength() > 0 && ctx.directPayloadLimit() >= 0);
        assertTrue(ctx.meshTermLength() >= DataPlaneContext.MIN_TERM_LENGTH && ctx.meshMtuLength() <= ctx.meshTermLength() / 8);
        assertTrue(!ctx.collectiveTimeout().isNegative() && !ctx.collectiveTimeout().isZero());
        assertTrue(!ctx.peerTimeout().isNegative() && !ctx.peerTimeout().isZero());
        assertTrue(!ctx.connectTimeout().isNegative() && !ctx.connectTimeout().isZero());
        assertTrue(ctx.ranksOnHost() >= 1);
        // Used in nanoseconds (RingState, DriverSettings): must not overflow there.
        DriverSettings.timerIntervalNs(ctx.peerTimeout().toNanos() + ctx.collectiveTimeout().toNanos() + ctx.connectTimeout().toNanos());
    }

    /** An endpoint is refused, or reads back as itself and makes a channel that says only what we put in it. */
    private static void checkEndpoint(String text) {
        Endpoint e;
        try {
            e = Endpoint.parse(text);
        } catch (DataPlaneException refused) {
            assertFalse(refused.getMessage().isBlank());
            return;
        }
        assertEquals(e, Endpoint.parse(e.toString()), "'" + text + "' read as " + e);
        if (e.hasUdp()) {
            ChannelUri channel = ChannelUri.parse(e.udpChannel(1408, 1 << 20, 5));
            Map<String, String> params = new LinkedHashMap<>();
            for (String key : Set.of("endpoint", "mtu", "term-length", "session-id")) {
                params.put(key, channel.get(key));
            }
            assertEquals(Map.of("endpoint", e.toString().split("/ipc:")[0], "mtu", "1408", "term-length", "1048576",
                    "session-id", "5"), params, "the channel of '" + text + "'");
            assertEquals(ChannelUri.parse("aeron:udp?endpoint=h:1|mtu=1|term-length=1|session-id=1").toString().split("\\|").length,
                    channel.toString().split("\\|").length, "no parameter of its own in '" + text + "': " + channel);
        }
    }
}
