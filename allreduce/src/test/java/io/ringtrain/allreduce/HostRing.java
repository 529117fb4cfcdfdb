package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs all-reduces over one ring that spans network-namespace hosts, one {@link HostProcess} per host, and checks
 * what every rank ends with: the exact sums, bit-identical everywhere, every process exited cleanly and its shared
 * driver's directory gone.
 */
final class HostRing {
    private HostRing() {
    }

    /** The topology the ranks chose (as {@link Communicator#topology()} names it), once every check has passed. */
    static String runAndCheck(NetnsHosts net, int perHost, int count, int iterations) throws Exception {
        int hosts = net.hosts();
        List<ChildProcess> processes = new ArrayList<>();
        try {
            List<String> endpoints = new ArrayList<>();
            for (int h = 0; h < hosts; h++) {
                processes.add(ChildProcess.start(net.inHost(h, List.of()), HostProcess.class, net.address(h), "" + perHost));
            }
            for (ChildProcess p : processes) {
                for (int i = 0; i < perHost; i++) {
                    endpoints.add(p.expect("ENDPOINT", 60));
                }
            }
            assertTrue(endpoints.stream().allMatch(e -> e.startsWith("10.")), "ranks listen on their hosts' addresses: " + endpoints);
            for (int h = 0; h < hosts; h++) {
                processes.get(h).send("RING " + String.join(",", endpoints) + " " + h * perHost + " " + count + " " + iterations);
            }
            Set<String> topologies = new HashSet<>();
            Set<String> checksums = new HashSet<>();
            for (ChildProcess p : processes) {
                topologies.add(p.expect("TOPOLOGY", 60));
                for (int i = 0; i < perHost; i++) {
                    String[] result = p.expect("RESULT", 120).split(" ");
                    assertEquals("0", result[1], "rank " + result[0] + " must hold the exact sums");
                    checksums.add(result[2]);
                }
            }
            assertEquals(1, checksums.size(), "every rank must hold bit-identical results: " + checksums);
            assertEquals(1, topologies.size(), "every host must choose the same topology: " + topologies);
            for (ChildProcess p : processes) {
                p.expect("DONE", 60);
            }
            for (ChildProcess p : processes) {
                p.send("EXIT");
            }
            for (ChildProcess p : processes) {
                assertTrue(p.process.waitFor(30, TimeUnit.SECONDS), "a host process must exit once done");
                assertEquals(0, p.process.exitValue());
                assertEquals(List.of(), DriverDirectoriesTest.leftoversOf(p.process.pid()),
                        "a host's shared driver must remove its directory when it closes");
            }
            return topologies.iterator().next();
        } finally {
            for (ChildProcess p : processes) {
                p.close();
            }
        }
    }
}
