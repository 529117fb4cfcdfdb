package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
        int count = 200_003;
        try (NetnsHosts net = NetnsHosts.create(hosts, null)) {
            List<ChildProcess> processes = new ArrayList<>();
            try {
                List<String> endpoints = new ArrayList<>();
                for (int h = 0; h < hosts; h++) {
                    ChildProcess p = ChildProcess.start(net.inHost(h, List.of()), HostProcess.class, net.address(h), "" + perHost);
                    processes.add(p);
                }
                for (ChildProcess p : processes) {
                    for (int i = 0; i < perHost; i++) {
                        endpoints.add(p.expect("ENDPOINT", 60));
                    }
                }
                for (int h = 0; h < hosts; h++) {
                    processes.get(h).send("RING " + String.join(",", endpoints) + " " + h * perHost + " " + count + " 3");
                }
                Set<String> checksums = new HashSet<>();
                for (ChildProcess p : processes) {
                    assertEquals("hierarchical: " + hosts + " hosts of " + perHost + " ranks", p.expect("TOPOLOGY", 60));
                    for (int i = 0; i < perHost; i++) {
                        String[] result = p.expect("RESULT", 120).split(" ");
                        assertEquals("0", result[1], "rank " + result[0] + " must hold the exact sums");
                        checksums.add(result[2]);
                    }
                }
                assertEquals(1, checksums.size(), "every rank must hold bit-identical results: " + checksums);
                for (ChildProcess p : processes) {
                    p.expect("DONE", 60);
                }
                for (ChildProcess p : processes) {
                    assertTrue(p.process.waitFor(30, TimeUnit.SECONDS), "a host process must exit once done");
                    assertEquals(0, p.process.exitValue());
                    assertEquals(List.of(), DriverDirectoriesTest.leftoversOf(p.process.pid()),
                            "a host's shared driver must remove its directory when it closes");
                }
                assertTrue(endpoints.stream().allMatch(e -> e.startsWith("10.")), "ranks listen on their hosts' addresses");
            } finally {
                for (ChildProcess p : processes) {
                    p.close();
                }
            }
        }
    }
}
