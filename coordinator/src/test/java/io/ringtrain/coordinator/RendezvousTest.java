package io.ringtrain.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.ToWorker;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Rank assignment and registration rules, without a cluster. */
class RendezvousTest {

    private static final ActorTestKit testKit = ActorTestKit.create("rendezvous-test");

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    private static ActorRef<ToWorker> ref() {
        return testKit.<ToWorker>createTestProbe().ref();
    }

    private static RegisterWorker worker(String name, Integer ordinal, String endpoint) {
        RegisterWorker.Builder b = RegisterWorker.newBuilder().setWorkerId(name).setDataPlaneEndpoint(endpoint);
        if (ordinal != null) {
            b.setOrdinal(ordinal);
        }
        return b.build();
    }

    @Test
    void ordinalsGiveDenseRanksInOrdinalOrderAndWorkersWithoutOneFollowInJoinOrder() {
        Rendezvous r = new Rendezvous(5);
        r.add(ref(), worker("late", null, "h:1"));
        r.add(ref(), worker("pod-7", 7, "h:2"));
        r.add(ref(), worker("early", null, "h:3"));
        r.add(ref(), worker("pod-2", 2, "h:4"));

        Ring ring = r.formRing(4);

        assertEquals(List.of("pod-2", "pod-7", "late", "early"), ring.workerIds());
        assertEquals(List.of("h:4", "h:2", "h:1", "h:3"), ring.endpoints());
        assertEquals(1, ring.assignmentFor(1).getRank());
        assertEquals(List.of("h:4", "h:2", "h:1", "h:3"), ring.assignmentFor(1).getEndpointsList());
        assertEquals(4, ring.assignmentFor(3).getGeneration());
    }

    @Test
    void duplicatesAndOverflowAreRefusedWithTheReason() {
        Rendezvous r = new Rendezvous(2);
        ActorRef<ToWorker> first = ref();
        assertEquals(Optional.empty(), r.add(first, worker("a", 3, "h:1")));

        assertEquals(Optional.empty(), r.add(first, worker("a", 3, "h:1")), "registering twice is harmless");
        assertTrue(r.add(ref(), worker("b", 3, "h:2")).orElseThrow().startsWith("ordinal 3 is already taken by a"));
        assertTrue(r.add(ref(), worker("a", null, "h:2")).orElseThrow().startsWith("the worker name a is already registered"));
        assertTrue(r.add(ref(), worker("c", null, "h:1")).orElseThrow().startsWith("data-plane endpoint h:1 is already used by a"));
        assertEquals(Optional.empty(), r.add(ref(), worker("d", null, "h:4")));
        assertEquals("the ring is full: max-workers is 2", r.add(ref(), worker("e", null, "h:5")).orElseThrow());
        assertEquals(2, r.size());
    }
}
