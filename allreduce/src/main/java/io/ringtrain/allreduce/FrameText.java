package io.ringtrain.allreduce;

/** A frame header as text, for error messages (never on the hot path). */
final class FrameText {
    private FrameText() {
    }

    static String of(FrameHeader h) {
        return "frame{generation " + h.generation() + ", from rank " + h.sender() + ", collective #" + h.collectiveId()
                + ", step " + h.step() + ", offset " + h.elementOffset() + ", count " + h.count() + " of " + h.totalCount()
                + ", descriptor 0x" + Integer.toHexString(h.descriptor() & 0xff) + "}";
    }
}
