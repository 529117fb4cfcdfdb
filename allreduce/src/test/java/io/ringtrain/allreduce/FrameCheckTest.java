package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** {@link FrameCheck} against the oracle of {@link FrameFuzzTest}: the half a fuzzer cannot check. */
class FrameCheckTest {
    private final FrameHeader header = new FrameHeader();

    /** The other half of the oracle: whatever a collective sends is accepted. */
    @Test
    void everyDescriptorACollectiveSendsIsAccepted() {
        for (Map.Entry<Byte, Integer> sent : FrameFuzzTest.SENT.entrySet()) {
            assertEquals(sent.getValue(), FrameCheck.wireElementSize(sent.getKey()), "descriptor " + sent.getKey());
            UnsafeBuffer frame = new UnsafeBuffer(new byte[FrameHeader.LENGTH + 3 * sent.getValue()]);
            new FrameHeader().wrap(frame, 0).write(FrameFuzzTest.GENERATION, 1, FrameHeader.TYPE_DATA, sent.getKey(), 9, 2, 5, 3,
                    8);
            assertNull(FrameCheck.check(header, frame, 0, frame.capacity(), FrameFuzzTest.TOKEN, FrameFuzzTest.TOKEN,
                    FrameFuzzTest.GENERATION, 1, 3));
        }
        for (int d = 0; d < 256; d++) {
            assertEquals(FrameFuzzTest.SENT.containsKey((byte) d), FrameCheck.wireElementSize((byte) d) != 0, "descriptor " + d);
        }
    }
}
