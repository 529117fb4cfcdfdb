package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rogue on the wire during all-reduces: strangers' sessions, an older generation's sessions, the ring's own
 * sessions from another address or port, and datagrams that are not Aeron at all, carrying plausible, out-of-range
 * and random frames. Results stay exact, every rogue packet is counted as dropped for its reason, and no image is
 * created (nothing is mapped). Run longer with {@code -Dringtrain.rogue.packets=1000000}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RogueSenderTest {
    private static final int PACKETS = Integer.getInteger("ringtrain.rogue.packets", 20_000);
    /** Packets between waits for the counters to catch up, well within the receiver's socket buffer. */
    private static final int BURST = 64;

    @Test
    void roguePacketsDuringAllReducesChangeNothingAndAreEachCounted() throws Exception {
        try (TestRing ring = TestRing.udp(3)) {
            DataPlane target = ring.planes[0];
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", Endpoint.parse(target.endpoint()).port());
            long mappedBefore = target.systemCounter("Bytes currently mapped");
            Map<DropReason, Long> before = target.dropped();
            long invalidBefore = target.systemCounter("Invalid packets");

            AtomicBoolean done = new AtomicBoolean();
            CompletableFuture<long[]> rogue = CompletableFuture.supplyAsync(() -> {
                try {
                    return sendRoguePackets(target, address, before, invalidBefore);
                } finally {
                    done.set(true);
                }
            });
            int iterations = 0;
            while (!done.get() || iterations < 3) {
                allReduceAndCheck(ring.comms, iterations % 2 == 0 ? 100_003 : 1_000, iterations);
                iterations++;
            }
            long[] sent = rogue.get(1, TimeUnit.MINUTES);

            Map<DropReason, Long> after = target.dropped();
            long unexpected = after.get(DropReason.UNEXPECTED_SESSION) - before.get(DropReason.UNEXPECTED_SESSION);
            long wrongSource = after.get(DropReason.WRONG_SOURCE) - before.get(DropReason.WRONG_SOURCE);
            long invalid = target.systemCounter("Invalid packets") - invalidBefore;
            System.out.printf("rogue packets sent to rank 0: %d (strangers' or stale sessions %d, ring sessions from another"
                    + " address or port %d, not Aeron %d) during %d all-reduces; dropped: %s; not Aeron (driver's invalid"
                    + " packets) %d%n", sent[0] + sent[1] + sent[2], sent[0], sent[1], sent[2], iterations,
                    DropCounters.describe(after), invalid);
            assertEquals(sent[0], unexpected, "every packet of an unexpected session is counted");
            assertEquals(sent[1], wrongSource, "every packet from a wrong source is counted");
            assertEquals(sent[2], invalid, "every datagram that is not Aeron is counted by the driver");
            for (DropReason r : DropReason.values()) {
                if (r != DropReason.UNEXPECTED_SESSION && r != DropReason.WRONG_SOURCE) {
                    assertEquals(before.get(r), after.get(r), "nothing of the rogue's may reach an image: " + r);
                }
            }
            assertEquals(mappedBefore, target.systemCounter("Bytes currently mapped"),
                    "the rogue's setups (1 MiB terms each) must not make the driver map anything");
        }
    }

    /** Returns {unexpected-session packets, wrong-source packets, non-Aeron datagrams} sent. */
    private static long[] sendRoguePackets(DataPlane target, InetSocketAddress address, Map<DropReason, Long> before,
                                           long invalidBefore) {
        RunToken current = TestRing.token(1);
        RunToken stale = TestRing.token(0);
        int stream = DataPlaneContext.DEFAULT_STREAM_ID;
        Random random = new Random(14);
        long[] sent = new long[3];
        try (RawRogue sameHost = new RawRogue("127.0.0.1", address, stream, 1);
             RawRogue otherAddress = new RawRogue("127.0.0.2", address, stream, 2)) {
            for (int i = 0; i < PACKETS; i++) {
                int shape = i % 3;
                switch (i % 8) {
                    case 0 -> sameHost.sendSetup(random.nextInt(), 1 << 20); // a stranger asks for an image
                    case 1 -> sameHost.sendData(random.nextInt(), random.nextLong(), 1, 2, 100_003, shape);
                    case 2 -> sameHost.sendSetup(stale.sessionId(2), 1 << 20); // a member of an older generation
                    case 3 -> sameHost.sendData(stale.sessionId(1 + i % 2), stale.value(), 0, 1 + i % 2, 100_003, shape);
                    // The ring's own sessions: right generation, plausible headers, the token even, wrong socket.
                    case 4 -> sameHost.sendData(current.sessionId(2), random.nextLong(), 1, 2, 100_003, shape);
                    case 5 -> otherAddress.sendData(current.sessionId(1), current.value(), 1, 1, 1_000, shape);
                    case 6 -> otherAddress.sendSetup(current.sessionId(2), 1 << 20);
                    default -> sameHost.sendGarbage();
                }
                sent[i % 8 < 4 ? 0 : i % 8 < 7 ? 1 : 2]++;
                if ((i + 1) % BURST == 0 || i == PACKETS - 1) {
                    awaitCounted(target, before, invalidBefore, sent);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return sent;
    }

    /** Paces the rogue: waits (bounded) until rank 0 has counted what was sent, so no datagram overflows its socket. */
    private static void awaitCounted(DataPlane target, Map<DropReason, Long> before, long invalidBefore, long[] sent) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Map<DropReason, Long> now = target.dropped();
            if (now.get(DropReason.UNEXPECTED_SESSION) - before.get(DropReason.UNEXPECTED_SESSION) >= sent[0]
                    && now.get(DropReason.WRONG_SOURCE) - before.get(DropReason.WRONG_SOURCE) >= sent[1]
                    && target.systemCounter("Invalid packets") - invalidBefore >= sent[2]) {
                return;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("rank 0 did not count the rogue's packets within 20 s: sent " + java.util.Arrays.toString(sent)
                + ", counted " + DropCounters.describe(target.dropped()));
    }

    /** Every rank holds (rank + 1) * (i % 5 + 1) + iteration; every element of every rank must be the exact sum. */
    static void allReduceAndCheck(Communicator[] comms, int count, int iteration) {
        int world = comms.length;
        UnsafeBuffer[] buffers = new UnsafeBuffer[world];
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            buffers[r] = new UnsafeBuffer(ByteBuffer.allocateDirect(count * Float.BYTES));
            for (int i = 0; i < count; i++) {
                buffers[r].putFloat(i * Float.BYTES, (r + 1) * (i % 5 + 1) + iteration);
            }
            runs.add(comms[r].allReduce(buffers[r], 0, count, DataType.FLOAT32, ReduceOp.SUM));
        }
        runs.forEach(f -> f.orTimeout(60, TimeUnit.SECONDS).join());
        for (int r = 0; r < world; r++) {
            for (int i = 0; i < count; i++) {
                float expected = world * (world + 1) / 2f * (i % 5 + 1) + world * iteration;
                float actual = buffers[r].getFloat(i * Float.BYTES);
                if (expected != actual) {
                    throw new AssertionError("rank " + r + " element " + i + " of all-reduce " + iteration + ": " + actual
                            + ", expected " + expected);
                }
            }
        }
    }
}
