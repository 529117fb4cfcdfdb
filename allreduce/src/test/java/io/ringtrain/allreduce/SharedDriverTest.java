package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Worker processes of one host attached to one shared media driver: they exchange frames over IPC, a SIGKILLed
 * one is noticed within the peer timeout while the driver and the others keep working, and a replacement process
 * attaches and joins the next generation.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SharedDriverTest {
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration COLLECTIVE_TIMEOUT = Duration.ofSeconds(30);
    private static final int COUNT = 1 << 18;

    @Test
    void processesOnOneSharedDriverUseIpcSurviveAKilledNeighbourAndAdmitItsReplacement() throws Exception {
        SharedDriver.Context driverCtx = new SharedDriver.Context().ranksOnHost(3).worldSize(3).termLength(1 << 20)
                .peerTimeout(PEER_TIMEOUT);
        try (SharedDriver driver = SharedDriver.launch(driverCtx)) {
            String dir = driver.directory();
            DataPlane[] planes = new DataPlane[2];
            ChildProcess victim = null;
            ChildProcess replacement = null;
            try {
                for (int r = 0; r < 2; r++) {
                    planes[r] = DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:0").sharedDriver(dir)
                            .peerTimeout(PEER_TIMEOUT).collectiveTimeout(COLLECTIVE_TIMEOUT).threadName("rank-" + r));
                    assertTrue(planes[r].endpoint().endsWith("@" + driver.hostId()), planes[r].endpoint());
                }
                victim = child(dir);
                String victimEndpoint = victim.expect("ENDPOINT", 60);
                assertTrue(victimEndpoint.contains("/ipc:") && victimEndpoint.endsWith("@" + driver.hostId()),
                        "a process attached to the shared driver advertises its IPC inbox on that host: " + victimEndpoint);

                List<String> ring = List.of(planes[0].endpoint(), planes[1].endpoint(), victimEndpoint);
                victim.send("RING " + String.join(",", ring) + " 2 " + COUNT + " 1000 1");
                Communicator[] comms = TestRing.join(planes, ring, 1);
                UnsafeBuffer[] buffers = {buffer(), buffer()};
                fillAndRun(comms, buffers).get(30, TimeUnit.SECONDS);
                assertEquals(6f, buffers[0].getFloat(0), "ranks hold 1, 2 and 3");
                assertEquals("0 " + 6.0 * COUNT, victim.expect("ITERATION", 30));
                assertEquals(0, ring.stream().filter(e -> !e.contains("/ipc:")).count());

                long killedAt = System.nanoTime();
                victim.kill();
                Throwable failure = null;
                for (int it = 0; it < 100 && failure == null; it++) {
                    try {
                        fillAndRun(comms, buffers).get(20, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        failure = e.getCause();
                    }
                }
                double seconds = (System.nanoTime() - killedAt) / 1e9;
                System.out.printf("IPC peers failed %.2f s after SIGKILL: %s%n", seconds, failure);
                assertInstanceOf(CollectiveException.PeerLost.class, failure);
                assertTrue(seconds < PEER_TIMEOUT.toSeconds() + 2.5, "within the peer timeout (+ margin), took " + seconds + " s");

                replacement = child(dir);
                List<String> next = List.of(planes[0].endpoint(), planes[1].endpoint(), replacement.expect("ENDPOINT", 60));
                replacement.send("RING " + String.join(",", next) + " 2 " + COUNT + " 3 2");
                Communicator[] gen2 = TestRing.join(planes, next, 2);
                for (int it = 0; it < 3; it++) {
                    fillAndRun(gen2, buffers).get(30, TimeUnit.SECONDS);
                    assertEquals(6f, buffers[1].getFloat((COUNT - 1) * 4));
                    assertEquals(it + " " + 6.0 * COUNT, replacement.expect("ITERATION", 30));
                }
                CompletableFuture.allOf(gen2[0].barrier(), gen2[1].barrier()).get(30, TimeUnit.SECONDS);
                replacement.expect("DONE", 30);
            } finally {
                for (DataPlane p : planes) {
                    if (p != null) {
                        p.close();
                    }
                }
                if (victim != null) {
                    victim.close();
                }
                if (replacement != null) {
                    replacement.close();
                }
            }
            assertTrue(new File(dir).isDirectory(), "workers never delete the shared driver's directory");
        }
        assertFalse(new File(driverCtx.directory()).exists(), "closing the shared driver removes its directory");
    }

    /**
     * A process that does not run for longer than the peer timeout (SIGSTOP here; a long GC pause or CPU starvation
     * alike) is counted as lost by its peers, and its Aeron client closes itself: once it runs again, its data plane
     * says so at once instead of timing out every ring it is asked to join, so that its worker can exit and be
     * started again as a new member.
     */
    @Test
    void aProcessStoppedForLongerThanThePeerTimeoutKnowsItsDataPlaneIsLost() throws Exception {
        SharedDriver.Context driverCtx = new SharedDriver.Context().ranksOnHost(2).worldSize(2).termLength(1 << 20)
                .peerTimeout(PEER_TIMEOUT);
        try (SharedDriver driver = SharedDriver.launch(driverCtx);
             DataPlane survivor = DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:0").sharedDriver(driver.directory())
                     .peerTimeout(PEER_TIMEOUT).collectiveTimeout(COLLECTIVE_TIMEOUT).threadName("survivor"));
             ChildProcess stalled = child(driver.directory())) {
            String stalledEndpoint = stalled.expect("ENDPOINT", 60);
            signal(stalled.process.pid(), "STOP");
            Thread.sleep(3 * PEER_TIMEOUT.toMillis()); // the stall itself: nothing to wait on while the process is stopped
            signal(stalled.process.pid(), "CONT");
            assertTrue(survivor.lostBecause().isEmpty(), "the process that kept running still has its data plane");

            stalled.send("RING " + stalledEndpoint + "," + survivor.endpoint() + " 0 16 1 1");
            String failure = stalled.expect("JOIN-FAILED", 30);
            // Aeron's client notices its own stall (its conductor ran too late) or hears from the driver that it timed
            // the client out, whichever comes first: both mean the same here.
            assertTrue(failure.contains("its Aeron client is closed") && failure.contains("longer than the peer timeout"),
                    "the stalled process's data plane says why it cannot join: " + failure);
        }
    }

    private static void signal(long pid, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " " + pid);
    }

    private static ChildProcess child(String dir) throws Exception {
        return ChildProcess.start(RankProcess.class, "" + PEER_TIMEOUT.toMillis(), "" + COLLECTIVE_TIMEOUT.toMillis(), dir);
    }

    private static UnsafeBuffer buffer() {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(COUNT * Float.BYTES));
    }

    /** Rank r holds r + 1 in every element. */
    private static CompletableFuture<Void> fillAndRun(Communicator[] comms, UnsafeBuffer[] buffers) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int r = 0; r < comms.length; r++) {
            for (int i = 0; i < COUNT; i++) {
                buffers[r].putFloat(i * 4, r + 1);
            }
            all.add(comms[r].allReduce(buffers[r], 0, COUNT, DataType.FLOAT32, ReduceOp.SUM));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }
}
