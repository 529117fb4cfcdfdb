package io.ringtrain.allreduce;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * W real data planes in this JVM over loopback: UDP with one embedded media driver per rank, or IPC with every
 * rank attached to one shared driver. Settings are sized for a 2-core test machine.
 */
public final class TestRing implements AutoCloseable {
    public final DataPlane[] planes;
    public final Communicator[] comms;
    private final SharedDriver sharedDriver;

    private TestRing(DataPlane[] planes, Communicator[] comms, SharedDriver sharedDriver) {
        this.planes = planes;
        this.comms = comms;
        this.sharedDriver = sharedDriver;
    }

    /** Settings every test rank starts from: small terms, short timeouts, backoff idling. */
    public static DataPlaneContext testContext() {
        return new DataPlaneContext()
                .termLength(1 << 20)
                .socketBufferLength(1 << 20)
                .collectiveTimeout(Duration.ofSeconds(5))
                .peerTimeout(Duration.ofSeconds(2))
                .connectTimeout(Duration.ofSeconds(10));
    }

    public static TestRing udp(int world) {
        return udp(world, ctx -> ctx);
    }

    public static TestRing udp(int world, Function<DataPlaneContext, DataPlaneContext> customise) {
        DataPlane[] planes = new DataPlane[world];
        try {
            for (int r = 0; r < world; r++) {
                planes[r] = DataPlane.launch(customise.apply(testContext().endpoint("127.0.0.1:0").threadName("rank-" + r)));
            }
            return new TestRing(planes, join(planes, 1), null);
        } catch (RuntimeException e) {
            closeAll(planes);
            throw e;
        }
    }

    public static TestRing ipc(int world) {
        SharedDriver driver = SharedDriver.launch(SharedDriver.defaultDirectory());
        DataPlane[] planes = new DataPlane[world];
        try {
            for (int r = 0; r < world; r++) {
                planes[r] = DataPlane.launch(testContext()
                        .endpoint("ipc:" + (1000 + r))
                        .embeddedDriver(false)
                        .aeronDirectoryName(driver.directory())
                        .threadName("rank-" + r));
            }
            return new TestRing(planes, join(planes, 1), driver);
        } catch (RuntimeException e) {
            closeAll(planes);
            driver.close();
            throw e;
        }
    }

    /** Every plane joins ring {@code generation} concurrently (joining blocks until all peers are there). */
    public static Communicator[] join(DataPlane[] planes, int generation) {
        List<String> endpoints = new ArrayList<>();
        for (DataPlane p : planes) {
            endpoints.add(p.endpoint());
        }
        return join(planes, endpoints, generation);
    }

    /** Plane r joins as rank r of a ring that may list more ranks (in other processes) after the planes. */
    public static Communicator[] join(DataPlane[] planes, List<String> endpoints, int generation) {
        List<CompletableFuture<Communicator>> joins = new ArrayList<>();
        for (int r = 0; r < planes.length; r++) {
            int rank = r;
            joins.add(CompletableFuture.supplyAsync(() -> planes[rank].join(generation, rank, endpoints, token(generation))));
        }
        Communicator[] comms = new Communicator[planes.length];
        for (int r = 0; r < planes.length; r++) {
            comms[r] = joins.get(r).orTimeout(30, TimeUnit.SECONDS).join();
        }
        return comms;
    }

    /**
     * The run token of {@code generation} in tests: fixed per generation so that ranks in other processes derive
     * the same one without being told (a coordinator makes a random one, {@link RunToken#random()}).
     */
    public static RunToken token(long generation) {
        return new RunToken(0x7e57_0000_0000_0000L | generation);
    }

    public int world() {
        return planes.length;
    }

    private static void closeAll(DataPlane[] planes) {
        for (DataPlane p : planes) {
            if (p != null) {
                p.close();
            }
        }
    }

    @Override
    public void close() {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (DataPlane p : planes) {
            closing.add(CompletableFuture.runAsync(p::close));
        }
        closing.forEach(CompletableFuture::join);
        if (sharedDriver != null) {
            sharedDriver.close();
        }
    }
}
