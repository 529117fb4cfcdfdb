package io.ringtrain.worker.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.aeron.driver.ThreadingMode;
import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.allreduce.DataPlaneException;
import io.ringtrain.worker.WorkerContext;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The worker's HOCON data-plane block is read by the data plane itself: keys as users write them, errors naming them. */
class DataPlaneSettingsTest {

    private static DataPlaneContext of(String hocon) {
        WorkerContext worker = WorkerContext.fromConfig(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()))
                .conclude();
        return DataPlaneSettings.of(worker);
    }

    @Test
    void keysUsersHaveStillWork() {
        DataPlaneContext ctx = of("ringtrain.worker.data-plane { term-length = 8MiB, mtu = 8960, threading = dedicated,"
                + " idle-strategy = busy-spin, peer-timeout = 2 seconds, collective-timeout = 30s, ranks-on-host = 4,"
                + " small-message-threshold = 16K }").conclude();
        assertEquals(8 << 20, ctx.termLength());
        assertEquals(8960, ctx.mtuLength());
        assertEquals(ThreadingMode.DEDICATED, ctx.driverThreading());
        assertEquals("busy-spin", ctx.idleStrategy());
        assertEquals(Duration.ofSeconds(2), ctx.peerTimeout());
        assertEquals(Duration.ofSeconds(30), ctx.collectiveTimeout());
        assertEquals(4, ctx.ranksOnHost());
        assertEquals(16 << 10, ctx.smallMessageThreshold());
    }

    @Test
    void absentKeysKeepTheDataPlanesDefaults() {
        DataPlaneContext ctx = of("").conclude();
        assertEquals(DataPlaneContext.DEFAULT_TERM_LENGTH, ctx.termLength());
        assertEquals(DataPlaneContext.DEFAULT_PEER_TIMEOUT, ctx.peerTimeout());
    }

    @Test
    void aMisspeltKeyFailsNamingIt() {
        DataPlaneException e = assertThrows(DataPlaneException.class, () -> of("ringtrain.worker.data-plane.term-lenght = 8MiB"));
        assertTrue(e.getMessage().startsWith("ringtrain.worker.data-plane.term-lenght is not a data-plane setting"), e.getMessage());
    }

    @Test
    void badValuesFailNamingTheKeyUsersSet() {
        assertTrue(assertThrows(DataPlaneException.class, () -> of("ringtrain.worker.data-plane.threading = fast"))
                .getMessage().startsWith("ringtrain.worker.data-plane.threading = fast is unknown: use INVOKER"));
        assertTrue(assertThrows(DataPlaneException.class, () -> of("ringtrain.worker.data-plane.peer-timeout = soon"))
                .getMessage().contains("ringtrain.worker.data-plane.peer-timeout = soon is not a duration"));
        String message = assertThrows(DataPlaneException.class,
                () -> of("ringtrain.worker.data-plane.term-length = 3MiB").conclude()).getMessage();
        assertTrue(message.startsWith("ringtrain.worker.data-plane.term-length 3145728 must be a power of two"), message);
        assertTrue(!message.contains("ringtrain.aeron"), "never a key the worker's user did not write: " + message);
    }
}
