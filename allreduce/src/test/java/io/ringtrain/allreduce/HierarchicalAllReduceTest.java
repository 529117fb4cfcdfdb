package io.ringtrain.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ranks on several shared drivers (each standing for a host, linked over loopback UDP) all-reduce hierarchically,
 * chosen from the endpoints alone, with exact and bit-identical results; uneven hosts fall back to the flat ring.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HierarchicalAllReduceTest {

    @Test
    void twoHostsOfTwoRanksReduceHierarchicallyAndAgreeBitForBit() {
        try (Hosts hosts = new Hosts(2, 2, 0)) {
            assertEquals("hierarchical: 2 hosts of 2 ranks", hosts.comms[0].topology());
            for (ReduceOp op : ReduceOp.values()) {
                for (int count : new int[] {1, 3, 1000, 100_003}) {
                    AllReduceCorrectnessTest.checkFloat(hosts.comms, count, op, WireCompression.NONE, count * 7L + op.ordinal());
                }
            }
            AllReduceCorrectnessTest.checkFloat(hosts.comms, 50_000, ReduceOp.SUM, WireCompression.BF16, 11);
            AllReduceCorrectnessTest.checkDouble(hosts.comms, 70_001, ReduceOp.AVG, 12);
        }
    }

    @Test
    void threeHostsOfTwoAndTwoOfThreeToo() {
        try (Hosts hosts = new Hosts(3, 2, 0)) {
            assertEquals("hierarchical: 3 hosts of 2 ranks", hosts.comms[0].topology());
            AllReduceCorrectnessTest.checkFloat(hosts.comms, 300_001, ReduceOp.SUM, WireCompression.NONE, 3);
        }
        try (Hosts hosts = new Hosts(2, 3, 0)) {
            assertEquals("hierarchical: 2 hosts of 3 ranks", hosts.comms[0].topology());
            AllReduceCorrectnessTest.checkFloat(hosts.comms, 300_001, ReduceOp.AVG, WireCompression.NONE, 4);
        }
    }

    @Test
    void unevenHostsUseTheFlatRing() {
        try (Hosts hosts = new Hosts(2, 2, 1)) {
            assertEquals("flat ring of 5 (3 hosts)", hosts.comms[0].topology());
            AllReduceCorrectnessTest.checkFloat(hosts.comms, 100_000, ReduceOp.SUM, WireCompression.NONE, 5);
        }
    }

    /** {@code hosts} shared drivers with {@code perHost} ranks each, plus {@code loners} ranks with their own driver. */
    static final class Hosts implements AutoCloseable {
        final List<SharedDriver> drivers = new ArrayList<>();
        final DataPlane[] planes;
        final Communicator[] comms;

        Hosts(int hosts, int perHost, int loners) {
            planes = new DataPlane[hosts * perHost + loners];
            try {
                int r = 0;
                for (int h = 0; h < hosts; h++) {
                    SharedDriver driver = SharedDriver.launch(new SharedDriver.Context().ranksOnHost(perHost)
                            .worldSize(planes.length).termLength(1 << 20));
                    drivers.add(driver);
                    for (int i = 0; i < perHost; i++, r++) {
                        planes[r] = DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:0")
                                .sharedDriver(driver.directory()).threadName("host-" + h + "-rank-" + r));
                    }
                }
                for (int i = 0; i < loners; i++, r++) {
                    planes[r] = DataPlane.launch(TestRing.testContext().endpoint("127.0.0.1:0").threadName("loner-" + r));
                }
                comms = TestRing.join(planes, 1);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            for (DataPlane p : planes) {
                if (p != null) {
                    p.close();
                }
            }
            drivers.forEach(SharedDriver::close);
        }
    }
}
