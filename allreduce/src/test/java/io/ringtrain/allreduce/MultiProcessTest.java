package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Ranks in separate JVMs: results agree across processes, and a SIGKILLed rank fails its peers in bounded time. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MultiProcessTest {
    private static final int COUNT = 1 << 20;

    @Test
    void ranksInSeparateProcessesAgreeOnTheSum() throws Exception {
        try (ChildProcess a = ChildProcess.start(RankProcess.class); ChildProcess b = ChildProcess.start(RankProcess.class);
             DataPlane local = DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:0"))) {
            List<String> ring = List.of(local.endpoint(), a.expect("ENDPOINT", 60), b.expect("ENDPOINT", 60));
            int iterations = 3;
            a.send("RING " + String.join(",", ring) + " 1 " + COUNT + " " + iterations + " 1");
            b.send("RING " + String.join(",", ring) + " 2 " + COUNT + " " + iterations + " 1");
            Communicator comm = local.join(1, 0, ring, TestRing.token(1));
            UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(COUNT * Float.BYTES));
            for (int it = 0; it < iterations; it++) {
                for (int i = 0; i < COUNT; i++) {
                    buffer.putFloat(i * Float.BYTES, 1);
                }
                comm.allReduce(buffer, 0, COUNT, DataType.FLOAT32, ReduceOp.SUM).get(30, TimeUnit.SECONDS);
                // ranks hold 1, 2 and 3: every element must be 6 in every process
                assertEquals(6f, buffer.getFloat(0));
                assertEquals(6f, buffer.getFloat((COUNT - 1) * Float.BYTES));
                String expected = String.valueOf(6.0 * COUNT);
                assertEquals(it + " " + expected, a.expect("ITERATION", 30));
                assertEquals(it + " " + expected, b.expect("ITERATION", 30));
            }
            comm.barrier().get(30, TimeUnit.SECONDS);
            a.expect("DONE", 30);
            b.expect("DONE", 30);
            String directory = local.context().aeronDirectoryName();
            assertTrue(new java.io.File(directory).isDirectory(), "the driver directory exists while the plane is open");
            local.close();
            assertTrue(!new java.io.File(directory).exists(), "closing must release the driver directory " + directory);
        }
    }

    /** Peer timeout far below the collective timeout, so only peer-death detection can fail the survivors in time. */
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration COLLECTIVE_TIMEOUT = Duration.ofSeconds(30);

    @Test
    void killedRankFailsItsPeersWithPeerLostWithinThePeerTimeout() throws Exception {
        try (ChildProcess victim = ChildProcess.start(RankProcess.class, "" + PEER_TIMEOUT.toMillis(), "" + COLLECTIVE_TIMEOUT.toMillis());
             TestRing survivors = TestRing.udp(2, ctx -> ctx.peerTimeout(PEER_TIMEOUT).collectiveTimeout(COLLECTIVE_TIMEOUT))) {
            Communicator[] comms = ringWithVictim(survivors, victim, 2);
            UnsafeBuffer[] buffers = {new UnsafeBuffer(ByteBuffer.allocateDirect(COUNT * 4)), new UnsafeBuffer(ByteBuffer.allocateDirect(COUNT * 4))};
            for (int it = 0; it < 2; it++) {
                runTogether(comms, buffers).get(30, TimeUnit.SECONDS);
            }
            victim.expect("ITERATION 1", 30);
            long killedAt = System.nanoTime();
            victim.kill();
            Throwable failure = firstFailure(comms, buffers);
            double seconds = (System.nanoTime() - killedAt) / 1e9;
            System.out.printf("survivors failed %.2f s after SIGKILL (peer timeout %s): %s%n", seconds, PEER_TIMEOUT, failure);
            CollectiveException.PeerLost lost = assertInstanceOf(CollectiveException.PeerLost.class, failure,
                    "a dead peer must be reported as PeerLost, not as a timeout or a generic failure");
            assertEquals(2, lost.peerRank(), "the lost peer is the killed rank");
            assertTrue(seconds < PEER_TIMEOUT.toSeconds() + 2.5,
                    "survivors must fail within the peer timeout (+ margin for a loaded host), took " + seconds + " s");
        }
    }

    @Test
    void survivorsFormTheNextGenerationAtOnceWithoutWaitingForTheDeadPeer() throws Exception {
        try (ChildProcess victim = ChildProcess.start(RankProcess.class, "" + PEER_TIMEOUT.toMillis(), "" + COLLECTIVE_TIMEOUT.toMillis());
             TestRing survivors = TestRing.udp(2, ctx -> ctx.peerTimeout(PEER_TIMEOUT).collectiveTimeout(COLLECTIVE_TIMEOUT))) {
            Communicator[] comms = ringWithVictim(survivors, victim, 2);
            UnsafeBuffer[] buffers = {new UnsafeBuffer(ByteBuffer.allocateDirect(COUNT * 4)), new UnsafeBuffer(ByteBuffer.allocateDirect(COUNT * 4))};
            runTogether(comms, buffers).get(30, TimeUnit.SECONDS);
            victim.expect("ITERATION 0", 30);
            // Kill mid-collective: generation 2 breaks with frames in flight and the victim's images still around.
            CompletableFuture<Void> inFlight = runTogether(comms, buffers);
            victim.kill();
            assertThrows(java.util.concurrent.ExecutionException.class, () -> inFlight.get(30, TimeUnit.SECONDS));

            long start = System.nanoTime();
            Communicator[] next = TestRing.join(survivors.planes, 3);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("generation 3 of the 2 survivors formed in %.3f s%n", seconds);
            assertTrue(seconds < 2, "forming the next generation must not wait on the dead peer (connect timeout 10 s), took "
                    + seconds + " s");
            for (int r = 0; r < 2; r++) {
                for (int i = 0; i < COUNT; i++) {
                    buffers[r].putFloat(i * 4, r + 1);
                }
            }
            runTogether(next, buffers).get(30, TimeUnit.SECONDS);
            assertEquals(3f, buffers[0].getFloat(0));
            assertEquals(3f, buffers[1].getFloat((COUNT - 1) * 4));
        }
    }

    /** The two survivors plus the victim process, as ring {@code generation} of three. */
    private static Communicator[] ringWithVictim(TestRing survivors, ChildProcess victim, int generation) throws Exception {
        List<String> ring = List.of(survivors.planes[0].endpoint(), survivors.planes[1].endpoint(), victim.expect("ENDPOINT", 60));
        victim.send("RING " + String.join(",", ring) + " 2 " + COUNT + " 1000 " + generation);
        return TestRing.join(survivors.planes, ring, generation);
    }

    /** Keeps running collectives until one fails; returns what it failed with (bounded: 100 rounds, 20 s each). */
    private static Throwable firstFailure(Communicator[] comms, UnsafeBuffer[] buffers) throws Exception {
        CompletableFuture<Void> inFlight = runTogether(comms, buffers);
        for (int it = 0; it < 100; it++) {
            try {
                inFlight.get(20, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                return e.getCause();
            }
            inFlight = runTogether(comms, buffers);
        }
        return null;
    }

    private static CompletableFuture<Void> runTogether(Communicator[] comms, UnsafeBuffer[] buffers) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int r = 0; r < comms.length; r++) {
            all.add(comms[r].allReduce(buffers[r], 0, COUNT, DataType.FLOAT32, ReduceOp.SUM));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionallyCompose(e ->
                CompletableFuture.failedFuture(e instanceof CompletionException ? e.getCause() : e));
    }
}
