package io.ringtrain.allreduce;

import io.aeron.ExclusivePublication;

/**
 * One ring a pipelined collective runs on: the whole ring generation, the ranks of this host, or the ranks with
 * this rank's local index across hosts. Positions are within the view; ranks in frames are global.
 */
final class RingView {
    /** Global ranks in ring order. */
    final int[] members;
    /** This rank's position in {@link #members}. */
    final int position;
    final int size;
    /** Largest frame payload on this ring's links: every member derives the same one, so chunks line up. */
    final int maxPayloadLength;
    final ExclusivePublication successor;

    RingView(int[] members, int rank, int maxPayloadLength, ExclusivePublication successor) {
        this.members = members;
        int p = -1;
        for (int i = 0; i < members.length; i++) {
            if (members[i] == rank) {
                p = i;
            }
        }
        if (p < 0) {
            throw new IllegalArgumentException("rank " + rank + " is not in the ring view");
        }
        this.position = p;
        this.size = members.length;
        this.maxPayloadLength = maxPayloadLength;
        this.successor = successor;
    }

    int successorRank() {
        return members[(position + 1) % size];
    }

    int predecessorRank() {
        return members[Math.floorMod(position - 1, size)];
    }
}
