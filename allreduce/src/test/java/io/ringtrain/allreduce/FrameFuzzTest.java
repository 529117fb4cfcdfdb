package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.HashMap;
import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Tag;

/**
 * Frames come off the wire: any bytes are either refused with a reason or, if accepted, safe for a collective to
 * use, judged against an oracle built independently of {@link FrameCheck} from what collectives actually send.
 * Input: byte 0 the world size (1-64), byte 1 the rank whose session it arrived on, byte 2 whether it carries the
 * token, then the frame. Inputs: {@code FrameFuzzTestInputs}; fuzz with
 * {@code JAZZER_FUZZ=1 mvn -pl allreduce -am test -Dtest=FrameFuzzTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("fuzz")
class FrameFuzzTest {
    static final long TOKEN = 0x0123_4567_89ab_cdefL;
    static final int GENERATION = 7;
    /** Descriptor -> wire bytes per element, for every combination some collective sends. */
    static final Map<Byte, Integer> SENT = new HashMap<>();

    static {
        for (CollectiveKind kind : CollectiveKind.values()) {
            if (kind == CollectiveKind.BROADCAST || kind == CollectiveKind.ALL_GATHER) {
                SENT.put(Reduction.BYTES.descriptor(kind), 1);
                continue;
            }
            for (DataType type : DataType.values()) {
                for (ReduceOp op : ReduceOp.values()) {
                    for (WireCompression c : WireCompression.values()) {
                        if (c != WireCompression.BF16 || type == DataType.FLOAT32) { // Communicator refuses the rest
                            Reduction r = Reduction.of(type, op, c);
                            SENT.put(r.descriptor(kind), r.wireElementSize());
                        }
                    }
                }
            }
        }
    }

    private final FrameHeader header = new FrameHeader();

    @FuzzTest(maxDuration = "60s")
    void anyBytesAreRefusedForAReasonOrSafeForACollective(byte[] input) {
        if (input.length < 3) {
            return;
        }
        int world = 1 + (input[0] & 63);
        int sender = (input[1] & 0xff) % world;
        long frameToken = (input[2] & 1) == 0 ? TOKEN : TOKEN ^ input[2];
        int length = input.length - 3;
        UnsafeBuffer frame = new UnsafeBuffer(input, 3, length);
        DropReason refused = FrameCheck.check(header, frame, 0, length, frameToken, TOKEN, GENERATION, sender, world);
        if (refused != null) {
            return;
        }
        assertTrue(length >= FrameHeader.LENGTH && frameToken == TOKEN);
        header.wrap(frame, 0);
        assertEquals(GENERATION, header.generation());
        assertEquals(sender, header.sender());
        int payload = length - FrameHeader.LENGTH;
        if (header.type() == FrameHeader.TYPE_HELLO) {
            assertEquals(FrameCheck.HELLO_LENGTH, payload);
            return;
        }
        assertEquals(FrameHeader.TYPE_DATA, header.type());
        Integer wire = SENT.get(header.descriptor());
        assertTrue(wire != null, "accepted a descriptor no collective sends: " + FrameText.of(header));
        long count = header.count();
        long first = header.elementOffset();
        assertTrue(count >= 1 && first >= 0 && first + count <= header.totalCount(), "out of range: " + FrameText.of(header));
        assertEquals(count * wire, payload, "payload must be exactly the elements the header names: " + FrameText.of(header));
        int step = header.step();
        assertTrue(step >= 0 && step % HierarchicalAllReduce.PHASE_STEP < 2 * world && step / HierarchicalAllReduce.PHASE_STEP <= 2,
                "step out of range: " + FrameText.of(header));
    }
}
