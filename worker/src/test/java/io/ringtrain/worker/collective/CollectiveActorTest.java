package io.ringtrain.worker.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.ringtrain.allreduce.CollectiveException;
import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.allreduce.TestRing;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The actor front of the collectives, over real data planes: results come back as messages. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CollectiveActorTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void allReduceBroadcastAndBarrierReplyWithTheirRequestIds() {
        try (TestRing ring = TestRing.udp(3)) {
            int count = 100_000;
            UnsafeBuffer[] buffers = new UnsafeBuffer[3];
            @SuppressWarnings("unchecked")
            ActorRef<Collective.Command>[] actors = new ActorRef[3];
            TestProbe<Collective.Result> probe = KIT.createTestProbe();
            for (int r = 0; r < 3; r++) {
                actors[r] = KIT.spawn(Collective.create(ring.comms[r]));
                buffers[r] = new UnsafeBuffer(ByteBuffer.allocateDirect(count * 4));
                for (int i = 0; i < count; i++) {
                    buffers[r].putFloat(i * 4, r + 1);
                }
            }
            for (int r = 0; r < 3; r++) {
                actors[r].tell(new Collective.AllReduce(buffers[r], 0, count, DataType.FLOAT32, ReduceOp.SUM, 7, probe.getRef()));
            }
            for (int r = 0; r < 3; r++) {
                assertEquals(new Collective.Done(7), probe.receiveMessage(Duration.ofSeconds(30)));
            }
            for (int r = 0; r < 3; r++) {
                assertEquals(6f, buffers[r].getFloat(0));
                assertEquals(6f, buffers[r].getFloat((count - 1) * 4));
            }

            buffers[2].putFloat(0, 42f);
            for (int r = 0; r < 3; r++) {
                actors[r].tell(new Collective.Broadcast(buffers[r], 0, 4, 2, 8, probe.getRef()));
            }
            for (int r = 0; r < 3; r++) {
                assertEquals(new Collective.Done(8), probe.receiveMessage(Duration.ofSeconds(30)));
            }
            for (int r = 0; r < 3; r++) {
                assertEquals(42f, buffers[r].getFloat(0), "rank " + r + " after the broadcast from rank 2");
            }

            for (int r = 0; r < 3; r++) {
                actors[r].tell(new Collective.Barrier(9, probe.getRef()));
            }
            for (int r = 0; r < 3; r++) {
                assertEquals(new Collective.Done(9), probe.receiveMessage(Duration.ofSeconds(30)));
            }
        }
    }

    @Test
    void aLostPeerArrivesAsAFailedMessage() {
        try (TestRing ring = TestRing.udp(2, ctx -> ctx.collectiveTimeout(Duration.ofSeconds(2)))) {
            TestProbe<Collective.Result> probe = KIT.createTestProbe();
            ActorRef<Collective.Command> actor = KIT.spawn(Collective.create(ring.comms[0]));
            ring.planes[1].close();
            UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4 << 20));
            actor.tell(new Collective.AllReduce(buffer, 0, 1 << 20, DataType.FLOAT32, ReduceOp.SUM, 11, probe.getRef()));
            Collective.Result result = probe.receiveMessage(Duration.ofSeconds(20));
            Collective.Failed failed = assertInstanceOf(Collective.Failed.class, result);
            assertEquals(11, failed.requestId());
            assertInstanceOf(CollectiveException.class, failed.cause());
        }
    }
}
