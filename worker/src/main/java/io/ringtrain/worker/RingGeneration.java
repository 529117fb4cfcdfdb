package io.ringtrain.worker;

import io.ringtrain.allreduce.RunToken;
import java.util.List;

/**
 * The ring of one generation as one rank sees it.
 *
 * @param token the generation's secret: the data plane takes frames only from holders of it
 */
public record RingGeneration(long generation, int rank, List<String> endpointsByRank, RunToken token) {

    public RingGeneration {
        endpointsByRank = List.copyOf(endpointsByRank);
        if (token == null) {
            throw new IllegalArgumentException("ring generation " + generation + " has no run token");
        }
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
