package io.ringtrain.allreduce;

import org.agrona.DirectBuffer;

/**
 * Everything a frame must be before the data plane reads its payload or hands it to a collective, checked from its
 * bytes alone: the run token, the generation, the sender its session belongs to, a type and descriptor that exist,
 * offsets and counts that fit each other, a step some collective of this ring can reach, and a payload exactly as
 * long as the header says. A collective then checks the frame against what it expects next (which fails the ring
 * on a mismatch: only a member holding the token gets that far, so a mismatch is a bug, not a stranger).
 *
 * <p>Pure and allocation-free: one call per frame on the data-plane thread.
 */
final class FrameCheck {
    /** Length of a hello's payload (see {@link RingFormation}). */
    static final int HELLO_LENGTH = 24;

    private static final int KINDS = CollectiveKind.values().length;
    /** values() copies its array on every call: these are read per frame. */
    private static final DataType[] TYPES = DataType.values();
    private static final WireCompression[] COMPRESSIONS = WireCompression.values();

    private FrameCheck() {
    }

    /**
     * Checks the frame of {@code length} bytes at {@code offset}, which arrived on the session of
     * {@code expectedSender} with {@code frameToken} in its Aeron header.
     *
     * @return null when the frame may be used, else why it must be dropped.
     */
    static DropReason check(FrameHeader header, DirectBuffer buffer, int offset, int length, long frameToken, long token,
                            int generation, int expectedSender, int worldSize) {
        if (length < FrameHeader.LENGTH) {
            return DropReason.SHORT_FRAME;
        }
        if (frameToken != token) {
            return DropReason.WRONG_TOKEN;
        }
        header.wrap(buffer, offset);
        if (header.generation() != generation) {
            return DropReason.WRONG_GENERATION;
        }
        if (header.sender() != expectedSender) {
            return DropReason.WRONG_SENDER;
        }
        int payload = length - FrameHeader.LENGTH;
        byte type = header.type();
        if (type == FrameHeader.TYPE_HELLO) {
            return payload == HELLO_LENGTH ? null : DropReason.BAD_LENGTH;
        }
        if (type != FrameHeader.TYPE_DATA) {
            return DropReason.BAD_TYPE;
        }
        int wireElementSize = wireElementSize(header.descriptor());
        if (wireElementSize == 0) {
            return DropReason.BAD_DESCRIPTOR;
        }
        int first = header.elementOffset();
        int count = header.count();
        int total = header.totalCount();
        if (count < 1 || first < 0 || total < 1 || (long) first + count > total
                || !stepInRange(header.step(), header.descriptor() & 3, worldSize)) {
            return DropReason.OUT_OF_RANGE;
        }
        if ((long) count * wireElementSize != payload) {
            return DropReason.BAD_LENGTH;
        }
        return null;
    }

    /**
     * Bytes per element on the wire for a valid descriptor (see {@link Reduction#descriptor}), 0 for one that no
     * collective sends: an element type or compression that does not exist, raw bytes in an all-reduce or typed
     * elements in a broadcast or all-gather, an op or compression on raw bytes, bf16 for anything but float32.
     */
    static int wireElementSize(byte descriptor) {
        int kind = descriptor & 3;
        int type = (descriptor >>> 2) & 3;
        int op = (descriptor >>> 4) & 3;
        int compression = (descriptor >>> 6) & 3;
        if (kind >= KINDS || type > TYPES.length || compression >= COMPRESSIONS.length) {
            return 0;
        }
        boolean bytes = type == 0;
        boolean movesBytes = kind == CollectiveKind.BROADCAST.ordinal() || kind == CollectiveKind.ALL_GATHER.ordinal();
        if (bytes != movesBytes || bytes && (op != 0 || compression != 0)) {
            return 0;
        }
        if (bytes) {
            return 1;
        }
        DataType dataType = TYPES[type - 1];
        WireCompression wire = COMPRESSIONS[compression];
        if (wire == WireCompression.BF16 && dataType != DataType.FLOAT32) {
            return 0;
        }
        return wire.wireElementSize(dataType);
    }

    /**
     * Ring steps run below 2(W-1) (all-reduce: reduce-scatter then all-gather; broadcast and all-gather fewer), and a
     * hierarchical all-reduce adds its phase (0 to 2) times {@link HierarchicalAllReduce#PHASE_STEP}.
     */
    private static boolean stepInRange(int step, int kind, int worldSize) {
        if (step < 0) {
            return false;
        }
        int phase = step / HierarchicalAllReduce.PHASE_STEP;
        int inPhase = step % HierarchicalAllReduce.PHASE_STEP;
        return inPhase < 2 * worldSize && (phase == 0 || phase <= 2 && kind == CollectiveKind.RING_ALL_REDUCE.ordinal());
    }
}
