package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hierarchical all-reduce between real hosts: each host a network namespace with its own address, shared media
 * driver and ranks, the hosts joined by veth links on a bridge. Exact sums, bit-identical on every rank.
 * Skipped, saying why, where namespaces cannot be made (not root, no iproute2).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class NetnsHierarchicalTest {
    @BeforeAll
    static void needsNamespaces() throws Exception {
        Optional<String> reason = NetnsHosts.unavailableReason();
        assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
        NetnsHosts.deleteLeftovers();
    }

    @AfterAll
    static void leavesNoNamespaceBehind() throws Exception {
        if (NetnsHosts.unavailableReason().isEmpty()) {
            assertEquals(List.of(), NetnsHosts.ownedByThisProcess(), "every namespace this test made must be gone");
        }
    }

    @Test
    void twoHostsOfTwoRanks() throws Exception {
        run(2, 2);
    }

    @Test
    void fourHostsOfTwoRanks() throws Exception {
        run(4, 2);
    }

    private static void run(int hosts, int perHost) throws Exception {
        try (NetnsHosts net = NetnsHosts.create(hosts, null)) {
            assertEquals("hierarchical: " + hosts + " hosts of " + perHost + " ranks", HostRing.runAndCheck(net, perHost, 200_003, 3));
        }
    }
}
