package io.ringtrain.allreduce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which ranks share a host, worked out once at ring formation from the endpoints alone, so every rank derives
 * the same answer without talking about it. Ranks on one shared media driver (same host id) form a host and
 * exchange frames over IPC; every other pair uses UDP. When there are at least two hosts with the same number
 * (at least two) of ranks each, all-reduce is hierarchical: reduce-scatter within each host, all-reduce of each
 * shard across hosts (one ring per local rank), all-gather within each host. Otherwise the flat ring is used.
 */
final class Topology {
    final int worldSize;
    final int rank;
    final Endpoint[] endpoints;
    /** Host of each rank, numbered by first appearance in rank order. */
    final int[] hostOf;
    /** Position of each rank among the ranks of its host, in rank order. */
    final int[] localIndex;
    final int[][] ranksOfHost;
    final boolean hierarchical;

    Topology(Endpoint[] endpoints, int rank, boolean hierarchicalAllowed) {
        this.worldSize = endpoints.length;
        this.rank = rank;
        this.endpoints = endpoints;
        this.hostOf = new int[worldSize];
        this.localIndex = new int[worldSize];
        Map<String, List<Integer>> hosts = new LinkedHashMap<>();
        for (int r = 0; r < worldSize; r++) {
            Endpoint e = endpoints[r];
            // IPC-only ranks without a host id can only be on one driver; UDP-only ranks are hosts of their own.
            String key = e.hostId() != null ? "id:" + e.hostId() : e.hasUdp() ? "rank:" + r : "ipc";
            hosts.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        ranksOfHost = new int[hosts.size()][];
        int h = 0;
        for (List<Integer> members : hosts.values()) {
            ranksOfHost[h] = members.stream().mapToInt(Integer::intValue).toArray();
            for (int i = 0; i < ranksOfHost[h].length; i++) {
                hostOf[ranksOfHost[h][i]] = h;
                localIndex[ranksOfHost[h][i]] = i;
            }
            h++;
        }
        boolean uniform = ranksOfHost.length >= 2 && ranksOfHost[0].length >= 2;
        for (int[] members : ranksOfHost) {
            uniform &= members.length == ranksOfHost[0].length;
        }
        this.hierarchical = hierarchicalAllowed && uniform;
    }

    int hosts() {
        return ranksOfHost.length;
    }

    int ranksPerHost() {
        return ranksOfHost[0].length;
    }

    /** True when frames from {@code from} to {@code to} go over IPC. */
    boolean viaIpc(int from, int to) {
        return endpoints[from].sharesDriverWith(endpoints[to]);
    }

    int flatSuccessor(int r) {
        return (r + 1) % worldSize;
    }

    /** The next rank on r's host, round the host. */
    int hostSuccessor(int r) {
        int[] members = ranksOfHost[hostOf[r]];
        return members[(localIndex[r] + 1) % members.length];
    }

    /** The rank with r's local index on the next host, round the hosts. */
    int crossHostSuccessor(int r) {
        return ranksOfHost[(hostOf[r] + 1) % ranksOfHost.length][localIndex[r]];
    }

    /** True when {@code from} sends ring frames (large, pipelined) to {@code to}. */
    boolean ringLink(int from, int to) {
        if (from == to) {
            return false;
        }
        return to == flatSuccessor(from) || hierarchical && (to == hostSuccessor(from) || to == crossHostSuccessor(from));
    }

    /** The ranks of r's host in ring order. */
    int[] hostRing(int r) {
        return ranksOfHost[hostOf[r]];
    }

    /** The ranks with r's local index, one per host, in ring order. */
    int[] crossHostRing(int r) {
        int[] members = new int[ranksOfHost.length];
        for (int host = 0; host < members.length; host++) {
            members[host] = ranksOfHost[host][localIndex[r]];
        }
        return members;
    }

    int[] flatRing() {
        int[] members = new int[worldSize];
        for (int r = 0; r < worldSize; r++) {
            members[r] = r;
        }
        return members;
    }

    /** True when every link of the ring {@code members} goes over IPC. */
    boolean allIpc(int[] members) {
        for (int i = 0; i < members.length; i++) {
            if (!viaIpc(members[i], members[(i + 1) % members.length])) {
                return false;
            }
        }
        return true;
    }

    String describe() {
        return hierarchical ? "hierarchical: " + hosts() + " hosts of " + ranksPerHost() + " ranks"
                : "flat ring of " + worldSize + " (" + hosts() + (hosts() == 1 ? " host)" : " hosts)");
    }
}
