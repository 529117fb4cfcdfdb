package io.ringtrain.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ringtrain.allreduce.RunToken;
import io.ringtrain.protocol.control.RingAssignment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run token fences the data plane only while it is secret: the values that carry it print without it. */
class RunTokenNotPrintedTest {

    @Test
    void theTokenIsNotInTheTextOfAnythingThatCarriesIt() throws Exception {
        RunToken token = new RunToken(0x5eed_1234_5678_9abcL);
        RingAssignment assignment = RingAssignment.newBuilder().setGeneration(3).setRank(1).setWorldSize(2)
                .addEndpoints("a:1").addEndpoints("b:1").setRunToken(token.value()).build();
        // Protobuf messages print every field (debug_redact is not honoured by toString()): records that carry them
        // (Worker.RingAssigned, the coordinator's Registered and Membership.Member) print without them.
        List<String> printed = List.of(token.toString(), new RingGeneration(3, 1, assignment.getEndpointsList(), token).toString());
        for (String text : printed) {
            for (String form : List.of(Long.toString(token.value()), Long.toUnsignedString(token.value()),
                    Long.toHexString(token.value()))) {
                assertFalse(text.contains(form), "the token is printed in: " + text);
            }
        }
        assertEquals(token.value(), RingAssignment.parseFrom(assignment.toByteArray()).getRunToken(), "it still travels");
    }
}
