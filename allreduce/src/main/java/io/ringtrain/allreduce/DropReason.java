package io.ringtrain.allreduce;

/**
 * Why the data plane refused something that reached it, as counted by {@link DataPlane#dropped()}. The first two
 * are counted in the media driver's receiver, before Aeron creates an image or writes anything to shared memory
 * (ranks with their own embedded driver only); {@link #REJECTED_IMAGE} counts images; the rest count frames, each
 * checked in this order before anything in it is used.
 */
public enum DropReason {
    /** Packets for a session this rank's ring does not expect: a stranger, a member of an older generation. */
    UNEXPECTED_SESSION("packets for a session the ring does not expect"),
    /** Packets for an expected session from an address (or port) other than the one the peer sends from. */
    WRONG_SOURCE("packets for an expected session from another address"),
    /** Images refused: their source is not the expected peer's address, or nobody was expected on that session. */
    REJECTED_IMAGE("images from an unexpected source"),
    /** Shorter than a frame header. */
    SHORT_FRAME("frames shorter than a header"),
    /** Not carrying this generation's run token. */
    WRONG_TOKEN("frames without the run token"),
    /** The token is right but the header names another generation. */
    WRONG_GENERATION("frames of another generation"),
    /** The header names a rank other than the one that sends on this session. */
    WRONG_SENDER("frames naming another sender"),
    /** Neither a data frame nor a hello. */
    BAD_TYPE("frames of an unknown type"),
    /** A collective kind, element type, reduce op or compression that does not exist or does not combine. */
    BAD_DESCRIPTOR("frames with an invalid descriptor"),
    /** Offset, count, total or step outside what any collective of this ring can have. */
    OUT_OF_RANGE("frames with offset, count or step out of range"),
    /** A payload length that does not match the element count the header gives. */
    BAD_LENGTH("frames whose length does not match their header");

    private final String description;

    DropReason(String description) {
        this.description = description;
    }

    /** What is counted, in words, e.g. "frames without the run token". */
    public String description() {
        return description;
    }
}
