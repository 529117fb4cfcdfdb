package io.ringtrain.allreduce;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over the fixed 32-byte header that starts every data-plane frame. One instance is re-pointed at
 * each frame; nothing is allocated per frame.
 *
 * <pre>
 *   0  int32  generation      ring generation; frames of older generations are dropped
 *   4  int16  sender rank
 *   6  int8   frame type      DATA, HELLO
 *   7  int8   descriptor      collective kind, data type, reduce op, wire compression
 *   8  int64  collective id   per-communicator sequence number, the same on every rank
 *  16  int32  step            ring step (or hop distance for broadcast)
 *  20  int32  offset          first element of the payload within the collective's buffer
 *  24  int32  count           elements in this frame's payload
 *  28  int32  total count     elements in the whole collective, to catch ranks that disagree on sizes
 *  32  ...    payload
 * </pre>
 *
 * 32 bytes keeps the payload 64-byte aligned in Aeron's term buffer (its own header is 32 bytes too).
 */
final class FrameHeader {
    static final int GENERATION_OFFSET = 0;
    static final int SENDER_OFFSET = 4;
    static final int TYPE_OFFSET = 6;
    static final int DESCRIPTOR_OFFSET = 7;
    static final int COLLECTIVE_ID_OFFSET = 8;
    static final int STEP_OFFSET = 16;
    static final int ELEMENT_OFFSET_OFFSET = 20;
    static final int COUNT_OFFSET = 24;
    static final int TOTAL_COUNT_OFFSET = 28;
    static final int LENGTH = 32;

    static final byte TYPE_DATA = 1;
    static final byte TYPE_HELLO = 2;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    FrameHeader wrap(DirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return this;
    }

    FrameHeader wrap(MutableDirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        return this;
    }

    int generation() {
        return buffer.getInt(offset + GENERATION_OFFSET, ORDER);
    }

    int sender() {
        return buffer.getShort(offset + SENDER_OFFSET, ORDER);
    }

    byte type() {
        return buffer.getByte(offset + TYPE_OFFSET);
    }

    byte descriptor() {
        return buffer.getByte(offset + DESCRIPTOR_OFFSET);
    }

    long collectiveId() {
        return buffer.getLong(offset + COLLECTIVE_ID_OFFSET, ORDER);
    }

    int step() {
        return buffer.getInt(offset + STEP_OFFSET, ORDER);
    }

    int elementOffset() {
        return buffer.getInt(offset + ELEMENT_OFFSET_OFFSET, ORDER);
    }

    int count() {
        return buffer.getInt(offset + COUNT_OFFSET, ORDER);
    }

    int totalCount() {
        return buffer.getInt(offset + TOTAL_COUNT_OFFSET, ORDER);
    }

    FrameHeader write(
            int generation,
            int sender,
            byte type,
            byte descriptor,
            long collectiveId,
            int step,
            int elementOffset,
            int count,
            int totalCount) {
        MutableDirectBuffer b = mutableBuffer;
        b.putInt(offset + GENERATION_OFFSET, generation, ORDER);
        b.putShort(offset + SENDER_OFFSET, (short) sender, ORDER);
        b.putByte(offset + TYPE_OFFSET, type);
        b.putByte(offset + DESCRIPTOR_OFFSET, descriptor);
        b.putLong(offset + COLLECTIVE_ID_OFFSET, collectiveId, ORDER);
        b.putInt(offset + STEP_OFFSET, step, ORDER);
        b.putInt(offset + ELEMENT_OFFSET_OFFSET, elementOffset, ORDER);
        b.putInt(offset + COUNT_OFFSET, count, ORDER);
        b.putInt(offset + TOTAL_COUNT_OFFSET, totalCount, ORDER);
        return this;
    }
}
