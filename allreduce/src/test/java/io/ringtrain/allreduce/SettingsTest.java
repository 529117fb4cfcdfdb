package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.driver.ThreadingMode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings by key, from a map or from -Dringtrain.aeron.*: unknown keys and bad values fail naming the key. */
class SettingsTest {

    private static void assertStartsWith(String prefix, Throwable e) {
        assertTrue(e.getMessage().startsWith(prefix), "expected '" + prefix + "...', got: " + e.getMessage());
    }

    @Test
    void everyKeyIsRead() {
        DataPlaneContext ctx = new DataPlaneContext().apply(Map.of("term-length", "8MiB", "mtu", 8960, "socket-buffer", "4M",
                "small-message-threshold", 0, "threading", "shared", "idle-strategy", "backoff", "collective-timeout", "30s",
                "peer-timeout", 2000, "connect-timeout", "5 seconds", "hierarchical", false), "x.").conclude();
        assertEquals(8 << 20, ctx.termLength());
        assertEquals(8960, ctx.mtuLength());
        assertEquals(4 << 20, ctx.socketBufferLength());
        assertEquals(0, ctx.smallMessageThreshold());
        assertEquals(ThreadingMode.SHARED, ctx.driverThreading());
        assertEquals(Duration.ofSeconds(30), ctx.collectiveTimeout());
        assertEquals(Duration.ofSeconds(2), ctx.peerTimeout());
        assertEquals(Duration.ofSeconds(5), ctx.connectTimeout());
        assertEquals(false, ctx.hierarchical());
        DataPlaneContext shared = new DataPlaneContext().apply(Map.of("shared-driver", "/dev/shm/x", "ranks-on-host", "3"), "x.");
        assertEquals(false, shared.embeddedDriver());
        assertEquals("/dev/shm/x", shared.aeronDirectoryName());
        assertEquals(3, shared.ranksOnHost());
    }

    @Test
    void unknownKeysAndBadValuesNameTheKey() {
        assertStartsWith("cfg.term-lenght is not a data-plane setting",
                assertThrows(DataPlaneException.class, () -> new DataPlaneContext().apply(Map.of("term-lenght", "4M"), "cfg.")));
        assertStartsWith("cfg.mtu = big is not a size",
                assertThrows(DataPlaneException.class, () -> new DataPlaneContext().apply(Map.of("mtu", "big"), "cfg.")));
        assertStartsWith("cfg.threading = turbo is unknown: use INVOKER",
                assertThrows(DataPlaneException.class, () -> new DataPlaneContext().apply(Map.of("threading", "turbo"), "cfg.")));
        assertStartsWith("cfg.ranks-on-host = two is not a whole number",
                assertThrows(DataPlaneException.class, () -> new DataPlaneContext().apply(Map.of("ranks-on-host", "two"), "cfg.")));
        // Found by SettingsFuzzTest: more digits than a long holds escaped as a NumberFormatException.
        assertStartsWith("cfg.peer-timeout = 99999999999999999999s is far too long",
                assertThrows(DataPlaneException.class, () -> new DataPlaneContext().apply(Map.of("peer-timeout", "99999999999999999999s"), "cfg.")));
        assertStartsWith("cfg.collective-timeout PT2562047788015H12M55.807S is longer than 24 hours",
                assertThrows(DataPlaneException.class, () -> new DataPlaneContext().apply(Map.of("collective-timeout",
                        String.valueOf(Long.MAX_VALUE)), "cfg.").conclude()));
        assertStartsWith("cfg.idle-strategy: unknown idle strategy 'spin'",
                assertThrows(DataPlaneException.class, () -> new DataPlaneContext().apply(Map.of("idle-strategy", "spin"), "cfg.")
                        .conclude()));
    }

    @Test
    void systemPropertiesAreCheckedToo() {
        String key = DataPlaneContext.SYSTEM_PROPERTY_PREFIX + "term-length";
        try {
            System.setProperty(key, "4x");
            assertStartsWith("ringtrain.aeron.term-length = 4x is not a size", assertThrows(DataPlaneException.class, DataPlaneContext::new));
            System.setProperty(key, "8M");
            assertEquals(8 << 20, new DataPlaneContext().termLength());
            System.clearProperty(key);
            System.setProperty(DataPlaneContext.SYSTEM_PROPERTY_PREFIX + "treading", "SHARED");
            assertStartsWith("ringtrain.aeron.treading is not a data-plane setting", assertThrows(DataPlaneException.class,
                    DataPlaneContext::new));
        } finally {
            System.clearProperty(key);
            System.clearProperty(DataPlaneContext.SYSTEM_PROPERTY_PREFIX + "treading");
        }
    }

    @Test
    void theBuilderNamesSettingsPlainly() {
        assertStartsWith("term-length 3000 must be a power of two",
                assertThrows(DataPlaneException.class, () -> new DataPlaneContext().termLength(3000).conclude()));
    }
}
