package io.ringtrain.worker;

import java.util.List;

/** The ring of one generation as one rank sees it. */
public record RingGeneration(long generation, int rank, List<String> endpointsByRank) {

    public RingGeneration {
        endpointsByRank = List.copyOf(endpointsByRank);
        if (rank < 0 || rank >= endpointsByRank.size()) {
            throw new IllegalArgumentException(
                    "rank " + rank + " is outside a ring of " + endpointsByRank.size() + " ranks");
        }
    }

    public int worldSize() {
        return endpointsByRank.size();
    }

    /** The rank this one sends to. */
    public String successorEndpoint() {
        return endpointsByRank.get((rank + 1) % worldSize());
    }
}
