package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.ExclusivePublication;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Aeron maps term buffers in /dev/shm for every image a receiver accepts, so a sender that opens many sessions to a
 * rank could exhaust its shared memory. A rank accepts images only for its ring's sessions: a stranger opening
 * dozens gets none, on a rank with its own driver (fenced in the driver's receiver) and on one attached to a
 * shared driver (session-specific subscriptions alone).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StrangerSessionsTest {
    private static final int SESSIONS = 48;

    @Test
    void dozensOfStrangerSessionsMapNothingOnARankWithItsOwnDriver() throws Exception {
        try (TestRing ring = TestRing.udp(2)) {
            openStrangerSessions(ring.comms, ring.planes[0], ring.planes[0]);
        }
    }

    @Test
    void dozensOfStrangerSessionsMapNothingOnARankAttachedToASharedDriver() throws Exception {
        try (SharedDriver shared = SharedDriver.launch(new SharedDriver.Context().ranksOnHost(1).worldSize(2).termLength(1 << 20));
             DataPlane onShared = DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:0").sharedDriver(shared.directory())
                     .threadName("rank-0"));
             DataPlane own = DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:0").threadName("rank-1"))) {
            assertTrue(onShared.endpoint().contains("/ipc:"), "attached to the shared driver: " + onShared.endpoint());
            Communicator[] comms = TestRing.join(new DataPlane[] {onShared, own}, 1);
            // The rank with its own driver witnesses the stranger's setups (its fence counts them); the shared driver,
            // which counts nothing, gets the same ones from the same sender at the same pace.
            openStrangerSessions(comms, onShared, own);
        }
    }

    /**
     * Opens {@link #SESSIONS} sessions from a stranger's driver to {@code target}'s endpoint (and as many to
     * {@code witness}'s, if another), waits until {@code witness}'s driver fence has counted three setups of each,
     * and checks that none connected, that {@code target}'s driver mapped nothing, and that the ring still sums
     * exactly.
     */
    private static void openStrangerSessions(Communicator[] comms, DataPlane target, DataPlane witness) {
        long mappedBefore = target.systemCounter("Bytes currently mapped");
        long seenBefore = witness.dropped().get(DropReason.UNEXPECTED_SESSION);
        try (RogueAeron rogue = new RogueAeron()) {
            List<ExclusivePublication> sessions = new ArrayList<>();
            for (DataPlane plane : witness == target ? List.of(target) : List.of(target, witness)) {
                int port = Endpoint.parse(plane.endpoint()).port();
                for (int i = 0; i < SESSIONS; i++) {
                    sessions.add(rogue.publish("aeron:udp?endpoint=127.0.0.1:" + port + "|term-length=65536|mtu=1408"));
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (witness.dropped().get(DropReason.UNEXPECTED_SESSION) - seenBefore < 3L * SESSIONS) {
                assertTrue(System.nanoTime() < deadline, "the stranger's setups did not arrive within 30 s: "
                        + DropCounters.describe(witness.dropped()));
                Thread.onSpinWait();
            }
            for (ExclusivePublication p : sessions) {
                assertFalse(p.isConnected(), "session " + p.sessionId() + " of the stranger got an image");
            }
            long mapped = target.systemCounter("Bytes currently mapped") - mappedBefore;
            System.out.printf("%d stranger sessions to %s: %d bytes mapped by its driver, dropped %s%n", SESSIONS,
                    target.endpoint(), mapped, DropCounters.describe(target.dropped()));
            assertEquals(0, mapped, "the stranger's sessions must not make the receiver map term buffers");
        }
        RogueSenderTest.allReduceAndCheck(comms, 10_000, 1);
    }
}
