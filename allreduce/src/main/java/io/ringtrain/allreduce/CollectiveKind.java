package io.ringtrain.allreduce;

/** Which collective a frame belongs to; part of the header descriptor so ranks that disagree are caught. */
enum CollectiveKind {
    RING_ALL_REDUCE("all-reduce"),
    DIRECT_ALL_REDUCE("all-reduce (direct exchange)"),
    ALL_GATHER("all-gather"),
    BROADCAST("broadcast");

    private final String label;

    CollectiveKind(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
