package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * All-reduce over lossy links: every host of the ring drops a share of the UDP packets it receives, at random (an
 * nftables rule in its network namespace), data frames, NAKs, status messages and heartbeats alike. Aeron must
 * retransmit what was lost so that every rank still ends with the exact sums, and no peer may be declared lost.
 * Skipped, saying why, where namespaces cannot be made or nftables is not installed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class NetnsLossTest {
    @BeforeAll
    static void needsNamespacesAndNftables() throws Exception {
        Optional<String> reason = NetnsHosts.unavailableReason().or(NetnsHosts::lossUnavailableReason);
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
    void onePercentLossOnEveryLinkGivesTheExactSums() throws Exception {
        run(3, 1);
    }

    @Test
    void fivePercentLossOnEveryLinkGivesTheExactSums() throws Exception {
        run(3, 5);
    }

    private static void run(int hosts, int percent) throws Exception {
        try (NetnsHosts net = NetnsHosts.create(hosts, null)) {
            for (int h = 0; h < hosts; h++) {
                net.dropUdp(h, percent);
            }
            // 800 KB per all-reduce: about 100 jumbo frames per host per collective, so each run loses some.
            assertEquals("flat ring of " + hosts + " (" + hosts + " hosts)", HostRing.runAndCheck(net, 1, 200_003, 5));
            for (int h = 0; h < hosts; h++) {
                long dropped = net.droppedPackets(h);
                assertTrue(dropped > 0, "host " + h + " must have dropped packets (the rule drops " + percent + " %), dropped "
                        + dropped);
            }
        }
    }
}
