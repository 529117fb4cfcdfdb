package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
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
            Communicator comm = local.join(1, 0, ring);
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

    @Test
    void killedRankFailsCollectiveWithinTimeout() throws Exception {
        try (ChildProcess victim = ChildProcess.start(RankProcess.class); TestRing survivors = TestRing.udp(2)) {
            // One more ring, of the two survivors plus the victim, at generation 2.
            List<String> ring = List.of(survivors.planes[0].endpoint(), survivors.planes[1].endpoint(), victim.expect("ENDPOINT", 60));
            victim.send("RING " + String.join(",", ring) + " 2 " + COUNT + " 1000 2");
            List<CompletableFuture<Communicator>> joins = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                joins.add(CompletableFuture.supplyAsync(() -> survivors.planes[rank].join(2, rank, ring)));
            }
            Communicator[] comms = {joins.get(0).get(30, TimeUnit.SECONDS), joins.get(1).get(30, TimeUnit.SECONDS)};
            UnsafeBuffer[] buffers = {new UnsafeBuffer(ByteBuffer.allocateDirect(COUNT * 4)), new UnsafeBuffer(ByteBuffer.allocateDirect(COUNT * 4))};
            // Run a couple of healthy iterations, then kill the victim while collectives are in flight.
            for (int it = 0; it < 2; it++) {
                runTogether(comms, buffers).get(30, TimeUnit.SECONDS);
            }
            victim.expect("ITERATION 1", 30);
            CompletableFuture<Void> inFlight = runTogether(comms, buffers);
            long killedAt = System.nanoTime();
            victim.kill();
            Throwable failure = null;
            try {
                for (int it = 0; it < 100 && failure == null; it++) {
                    inFlight.get(20, TimeUnit.SECONDS);
                    inFlight = runTogether(comms, buffers);
                }
            } catch (java.util.concurrent.ExecutionException e) {
                failure = e.getCause();
            }
            double seconds = (System.nanoTime() - killedAt) / 1e9;
            System.out.printf("survivors failed %.2f s after SIGKILL: %s%n", seconds, failure);
            assertInstanceOf(CollectiveException.class, failure, "survivors must fail with a typed error, got " + failure);
            assertTrue(seconds < 5 + 3, "survivors must fail within the 5 s collective timeout (+ margin), took " + seconds + " s");
        }
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
