package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Senders that get past the session fence, over real Aeron: one that knows rank 1's session and address but sends
 * frames without the token or with broken headers (each dropped and counted for its reason, none of them read),
 * one with another run's token, and one on the right session from the wrong address.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ImpostorTest {
    private static final RunToken TOKEN = TestRing.token(5);
    private static final byte BARRIER = Reduction.of(DataType.FLOAT32, ReduceOp.SUM, WireCompression.NONE)
            .descriptor(CollectiveKind.DIRECT_ALL_REDUCE);

    @Test
    void framesWithoutTheTokenOrWithBrokenHeadersAreDroppedUnreadAndOnlyGoodOnesCount() throws Exception {
        try (DataPlane target = DataPlane.launch(TestRing.testContext().threadName("rank-0"));
             RogueAeron impostor = new RogueAeron()) {
            Subscription inbox = impostor.aeron.addSubscription("aeron:udp?endpoint=127.0.0.1:0", DataPlaneContext.DEFAULT_STREAM_ID);
            String impostorEndpoint = inbox.localSocketAddresses().get(0);
            CompletableFuture<Communicator> joined = CompletableFuture.supplyAsync(
                    () -> target.join(5, 0, List.of(target.endpoint(), impostorEndpoint), TOKEN));
            // Rank 1's session, from rank 1's address: what a process that learnt both (but not the token) can do.
            ExclusivePublication toTarget = impostor.publish("aeron:udp?endpoint=" + target.endpoint()
                    + "|term-length=65536|session-id=" + TOKEN.sessionId(1));
            await(toTarget::isConnected, "the impostor's publication connects");
            Frames frames = new Frames(toTarget, target.context());

            Map<DropReason, Long> before = target.dropped();
            frames.hello(TOKEN.value() + 1, 5, 1, FrameCheck.HELLO_LENGTH);     // wrong token
            frames.hello(TOKEN.value(), 4, 1, FrameCheck.HELLO_LENGTH);         // another generation
            frames.hello(TOKEN.value(), 5, 0, FrameCheck.HELLO_LENGTH);         // names rank 0 as its sender
            frames.send(TOKEN.value(), (byte) 7, BARRIER, 1, 0, 0, 1, 1, 4);     // no such frame type
            frames.send(TOKEN.value(), FrameHeader.TYPE_DATA, (byte) 0xff, 1, 0, 0, 1, 1, 4);  // no such descriptor
            frames.send(TOKEN.value(), FrameHeader.TYPE_DATA, BARRIER, 1, 0, 100, 10, 50, 40); // offset + count > total
            frames.send(TOKEN.value(), FrameHeader.TYPE_DATA, BARRIER, 1, 1 << 30, 0, 1, 1, 4); // no ring has that step
            frames.send(TOKEN.value(), FrameHeader.TYPE_DATA, BARRIER, 1, 0, 0, 10, 10, 12);   // 10 floats in 12 bytes
            frames.hello(TOKEN.value(), 5, 1, FrameCheck.HELLO_LENGTH - 4);     // truncated hello
            frames.raw(TOKEN.value(), 16);                                       // shorter than a header
            Map<DropReason, Long> expected = new EnumMap<>(DropReason.class);
            expected.put(DropReason.WRONG_TOKEN, 1L);
            expected.put(DropReason.WRONG_GENERATION, 1L);
            expected.put(DropReason.WRONG_SENDER, 1L);
            expected.put(DropReason.BAD_TYPE, 1L);
            expected.put(DropReason.BAD_DESCRIPTOR, 1L);
            expected.put(DropReason.OUT_OF_RANGE, 2L);
            expected.put(DropReason.BAD_LENGTH, 2L);
            expected.put(DropReason.SHORT_FRAME, 1L);
            await(() -> delta(before, target.dropped()).equals(withZeros(expected)), "each bad frame counted once for its reason");
            assertFalse(joined.isDone(), "none of them is a hello that forms the ring");

            frames.hello(TOKEN.value(), 5, 1, FrameCheck.HELLO_LENGTH);
            Communicator ring = joined.get(30, TimeUnit.SECONDS);
            assertEquals(2, ring.worldSize(), "a well-formed hello with the token forms the ring");

            // A barrier waits for rank 1's one-element frame: one out of range is dropped unread, the right one completes it.
            CompletableFuture<Void> barrier = ring.barrier();
            frames.send(TOKEN.value(), FrameHeader.TYPE_DATA, BARRIER, 1, 0, 5, 1, 1, 4);
            await(() -> target.dropped().get(DropReason.OUT_OF_RANGE) - before.get(DropReason.OUT_OF_RANGE) == 3, "counted");
            assertFalse(barrier.isDone(), "a dropped frame does not complete, or fail, the barrier");
            frames.send(TOKEN.value(), FrameHeader.TYPE_DATA, BARRIER, 1, 0, 0, 1, 1, 4);
            barrier.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRankGivenAnotherRunsTokenCannotFormTheRing() {
        // A second run misconfigured with this run's endpoints: same generation number, its own token.
        try (DataPlane a = DataPlane.launch(TestRing.testContext().connectTimeout(Duration.ofSeconds(2)).threadName("rank-0"));
             DataPlane b = DataPlane.launch(TestRing.testContext().connectTimeout(Duration.ofSeconds(2)).threadName("rank-1"))) {
            List<String> ring = List.of(a.endpoint(), b.endpoint());
            CompletableFuture<Communicator> ja = CompletableFuture.supplyAsync(() -> a.join(1, 0, ring, TOKEN));
            CompletableFuture<Communicator> jb = CompletableFuture.supplyAsync(() -> b.join(1, 1, ring, RunToken.random()));
            for (CompletableFuture<Communicator> j : List.of(ja, jb)) {
                ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> j.get(30, TimeUnit.SECONDS));
                assertInstanceOf(DataPlaneException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("could not form ring generation 1")
                        && e.getCause().getMessage().contains("packets for a session the ring does not expect"), e.getCause().getMessage());
            }
        }
    }

    @Test
    void anImageFromAnotherAddressIsRejectedOnASharedDriver() throws Exception {
        // A shared driver has no fence in its receiver: the rank's own check of the image's source must refuse it.
        try (SharedDriver shared = SharedDriver.launch(new SharedDriver.Context().ranksOnHost(1).worldSize(2).termLength(1 << 20));
             DataPlane target = DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:0").sharedDriver(shared.directory())
                     .connectTimeout(Duration.ofSeconds(2)).threadName("rank-0"));
             RogueAeron impostor = new RogueAeron()) {
            Subscription inbox = impostor.aeron.addSubscription("aeron:udp?endpoint=127.0.0.1:0", DataPlaneContext.DEFAULT_STREAM_ID);
            String impostorEndpoint = inbox.localSocketAddresses().get(0); // rank 1 is listed at 127.0.0.1
            CompletableFuture<Communicator> joined = CompletableFuture.supplyAsync(
                    () -> target.join(5, 0, List.of(target.endpoint(), impostorEndpoint), TOKEN));
            int port = Endpoint.parse(target.endpoint()).port();
            try (RawRogue fromElsewhere = new RawRogue("127.0.0.2", new java.net.InetSocketAddress("127.0.0.1", port),
                    DataPlaneContext.DEFAULT_STREAM_ID, 3)) {
                while (!joined.isDone()) { // rank 1's session, from 127.0.0.2, re-sent as Aeron does until it is answered
                    fromElsewhere.sendSetup(TOKEN.sessionId(1), 64 << 10);
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
            }
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> joined.get(30, TimeUnit.SECONDS));
            String message = e.getCause().getMessage();
            assertTrue(message.contains("an image from 127.0.0.2:") && message.contains("not rank 1's address"), message);
            assertTrue(target.dropped().get(DropReason.REJECTED_IMAGE) >= 1, DropCounters.describe(target.dropped()));
            assertTrue(target.systemCounter("Images rejected") >= 1, "the driver was told to reject the image");
        }
    }

    private static Map<DropReason, Long> delta(Map<DropReason, Long> before, Map<DropReason, Long> after) {
        Map<DropReason, Long> d = new EnumMap<>(DropReason.class);
        after.forEach((r, n) -> d.put(r, n - before.get(r)));
        return d;
    }

    private static Map<DropReason, Long> withZeros(Map<DropReason, Long> some) {
        Map<DropReason, Long> all = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            all.put(r, some.getOrDefault(r, 0L));
        }
        return all;
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 20 s: " + what);
            Thread.onSpinWait();
        }
    }

    /** Writes frames into the impostor's publication, with whatever token and header it likes. */
    private static final class Frames {
        private final ExclusivePublication publication;
        private final DataPlaneContext targetSettings;
        private final BufferClaim claim = new BufferClaim();

        Frames(ExclusivePublication publication, DataPlaneContext targetSettings) {
            this.publication = publication;
            this.targetSettings = targetSettings;
        }

        void send(long token, byte type, byte descriptor, long id, int step, int offset, int count, int total, int payload) {
            MutableDirectBuffer b = claim(token, FrameHeader.LENGTH + payload);
            new FrameHeader().wrap(b, claim.offset()).write(5, 1, type, descriptor, id, step, offset, count, total);
            for (int i = 0; i + 4 <= payload; i += 4) {
                b.putFloat(claim.offset() + FrameHeader.LENGTH + i, 1f);
            }
            claim.commit();
        }

        /** A hello as rank 1 of a ring of 2 sends rank 0, from {@code sender} in {@code generation}. */
        void hello(long token, int generation, int sender, int payload) {
            MutableDirectBuffer b = claim(token, FrameHeader.LENGTH + payload);
            new FrameHeader().wrap(b, claim.offset()).write(generation, sender, FrameHeader.TYPE_HELLO, (byte) 0, 0, 0, 0, 0, 0);
            int[] fields = {2, 0, targetSettings.maxPayloadLength(), targetSettings.directPayloadLimit(),
                    targetSettings.maxIpcPayloadLength(), 0};
            for (int i = 0; i < fields.length && (i + 1) * 4 <= payload; i++) {
                b.putInt(claim.offset() + FrameHeader.LENGTH + i * 4, fields[i], ByteOrder.LITTLE_ENDIAN);
            }
            claim.commit();
        }

        void raw(long token, int length) {
            claim(token, length);
            claim.commit();
        }

        private MutableDirectBuffer claim(long token, int length) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (publication.tryClaim(length, claim) <= 0) {
                assertTrue(System.nanoTime() < deadline, "the impostor could not send");
                Thread.onSpinWait();
            }
            claim.reservedValue(token);
            return claim.buffer();
        }
    }

}
