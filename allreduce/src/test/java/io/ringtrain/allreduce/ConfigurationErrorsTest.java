package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every bad configuration is refused at start with a message that says what to fix. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConfigurationErrorsTest {

    private static void assertMessage(Throwable e, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message should mention '" + fragment + "': " + e.getMessage());
        }
    }

    @Test
    void portInUseIsNamed() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            DataPlaneException e = assertThrows(DataPlaneException.class,
                    () -> DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:" + port)));
            assertMessage(e, "UDP port " + port, "already in use", "choose another");
        }
    }

    @Test
    void unreachablePeerFailsFormingWithinTheConnectTimeout() throws Exception {
        int deadPort;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            deadPort = probe.getLocalPort();
        }
        try (DataPlane plane = DataPlane.launch(TestRing.testContext().connectTimeout(Duration.ofSeconds(2)))) {
            long start = System.nanoTime();
            DataPlaneException e = assertThrows(DataPlaneException.class,
                    () -> plane.join(1, 0, List.of(plane.endpoint(), "127.0.0.1:" + deadPort), TestRing.token(1)));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertMessage(e, "could not form ring generation 1", "cannot reach rank 1 at 127.0.0.1:" + deadPort, "UDP is allowed");
            assertTrue(seconds < 2 + 3, "bounded by the connect timeout, took " + seconds);
        }
    }

    @Test
    void unresolvableHostIsRefused() {
        try (DataPlane plane = DataPlane.launch(TestRing.testContext().connectTimeout(Duration.ofSeconds(2)))) {
            DataPlaneException e = assertThrows(DataPlaneException.class,
                    () -> plane.join(1, 0, List.of(plane.endpoint(), "no-such-host.invalid:40000"), TestRing.token(1)));
            assertMessage(e, "rank 0");
            assertTrue(e.getMessage().contains("does not resolve") || e.getMessage().contains("cannot reach rank 1"),
                    e.getMessage());
        }
    }

    @Test
    void rankOutsideTheWorldAndWrongOwnEndpointAreRefused() {
        try (DataPlane plane = DataPlane.launch(TestRing.testContext())) {
            assertMessage(assertThrows(DataPlaneException.class, () -> plane.join(1, 3, List.of(plane.endpoint(), "127.0.0.1:1"), TestRing.token(1))),
                    "rank 3 is outside a world of 2");
            assertMessage(assertThrows(DataPlaneException.class, () -> plane.join(1, 0, List.of("127.0.0.1:1", plane.endpoint()), TestRing.token(1))),
                    "rank 0 is listed at 127.0.0.1:1", "listens on " + plane.endpoint());
            assertMessage(assertThrows(DataPlaneException.class, () -> plane.join(1, 0, List.of(), TestRing.token(1))), "at least one rank");
        }
    }

    @Test
    void ranksGivenDifferentWorldSizesAreToldSo() throws Exception {
        try (DataPlane a = DataPlane.launch(TestRing.testContext().connectTimeout(Duration.ofSeconds(3)));
             DataPlane b = DataPlane.launch(TestRing.testContext().connectTimeout(Duration.ofSeconds(3)));
             DataPlane c = DataPlane.launch(TestRing.testContext().connectTimeout(Duration.ofSeconds(3)))) {
            List<String> three = List.of(a.endpoint(), b.endpoint(), c.endpoint());
            List<String> two = List.of(a.endpoint(), b.endpoint());
            CompletableFuture<Communicator> ja = CompletableFuture.supplyAsync(() -> a.join(1, 0, three, TestRing.token(1)));
            CompletableFuture<Communicator> jb = CompletableFuture.supplyAsync(() -> b.join(1, 1, two, TestRing.token(1)));
            ExecutionException eb = assertThrows(ExecutionException.class, () -> jb.get(30, TimeUnit.SECONDS));
            ExecutionException ea = assertThrows(ExecutionException.class, () -> ja.get(30, TimeUnit.SECONDS));
            // Whichever rank hears the other first names the disagreement; the other may only see silence.
            String both = ea.getCause().getMessage() + " | " + eb.getCause().getMessage();
            assertTrue(both.contains("has world size 3 but rank 1 says 2") || both.contains("has world size 2 but rank 0 says 3"),
                    both);
        }
    }

    @Test
    void termTooSmallForTheMtuSaysWhatToRaise() {
        DataPlaneException e = assertThrows(DataPlaneException.class,
                () -> new DataPlaneContext().termLength(64 << 10).mtuLength(65504).conclude());
        assertMessage(e, "term-length 64 KiB allows frames of at most 8 KiB", "mtu is", "raise term-length to at least 512 KiB");
    }

    @Test
    void notEnoughSharedMemoryIsCaughtBeforeTheDriverStarts() {
        // 1 GiB terms for 64 ranks on this host: far beyond any /dev/shm.
        DataPlaneContext ctx = TestRing.testContext().termLength(1 << 30).ranksOnHost(64);
        DataPlaneException e = assertThrows(DataPlaneException.class, () -> DataPlane.launch(ctx));
        assertMessage(e, "free;", "64 ranks with 1 GiB terms", "mount a larger /dev/shm", "or lower term-length");
        assertTrue(!new java.io.File(ctx.aeronDirectoryName()).exists(), "nothing may be left behind");
    }

    @Test
    void malformedSettingsAreRefused() {
        assertMessage(assertThrows(DataPlaneException.class, () -> new DataPlaneContext().mtuLength(1000).conclude()),
                "multiple of 32");
        assertMessage(assertThrows(DataPlaneException.class, () -> new DataPlaneContext().termLength(3 << 20).conclude()),
                "power of two");
        assertMessage(assertThrows(DataPlaneException.class, () -> new DataPlaneContext().idleStrategy("spinny").conclude()),
                "unknown idle strategy 'spinny'");
        assertMessage(assertThrows(DataPlaneException.class, () -> new DataPlaneContext().endpoint("localhost").conclude()),
                "expected host:port");
        assertMessage(assertThrows(DataPlaneException.class, () -> new DataPlaneContext().endpoint("10.0.0.1:99999").conclude()),
                "out of range");
        // Found by SettingsFuzzTest: the host goes into Aeron channel URIs, where '|' starts a parameter of its own.
        assertMessage(assertThrows(DataPlaneException.class, () -> Endpoint.parse("10.0.0.1|session-id=7:40100")),
                "bad host '10.0.0.1|session-id=7'", "[fd00::7]:40100");
        assertEquals("[fd00::7%eth0]:40100", Endpoint.parse("[fd00::7%eth0]:40100").toString());
        assertMessage(assertThrows(DataPlaneException.class,
                () -> new DataPlaneContext().collectiveTimeout(Duration.ZERO).conclude()), "collective-timeout must be positive");
        assertMessage(assertThrows(DataPlaneException.class,
                () -> new DataPlaneContext().embeddedDriver(false).conclude()), "needs aeronDirectoryName");
    }

    @Test
    void attachingToAMissingDriverSaysSo() {
        DataPlaneContext ctx = TestRing.testContext().endpoint("ipc:7").embeddedDriver(false)
                .aeronDirectoryName(SharedDriver.defaultDirectory());
        assertMessage(assertThrows(DataPlaneException.class, () -> DataPlane.launch(ctx)), "cannot attach to the media driver", "Is it running?");
    }
}
