package io.ringtrain.allreduce;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One host of a multi-host test, in its own process (and network namespace): a {@link SharedDriver} and
 * {@code ranks} data planes attached to it, listening on {@code address}. Prints one {@code ENDPOINT <e>} per
 * rank, reads {@code RING <e0,e1,...> <first-rank> <count> <iterations>}, runs that many all-reduces in which
 * rank r holds {@code (r + i + it) % 8 + 1} at element i, and prints {@code TOPOLOGY <t>}, then per rank
 * {@code RESULT <rank> <wrong elements> <crc32 of its result>}, then {@code DONE}, and closes once it reads
 * {@code EXIT}: the parent is the control plane that says every host is done (as a worker waits for the
 * coordinator's EndRun), because a host that closed after its last collective could take with it a frame that a
 * lossy link dropped and a slower peer still waits for.
 */
public final class HostProcess {
    private HostProcess() {
    }

    public static void main(String[] args) throws Exception {
        String address = args[0];
        int ranks = Integer.parseInt(args[1]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        // Up to 16 rank processes on this machine's 2 cores: a process can stall for longer than the 1.5 s default
        // (the driver then drops its client, and the ring breaks: seen at load 24). These hosts test results and
        // topology, not liveness, so they tolerate 5 s stalls.
        Duration stallTolerance = Duration.ofSeconds(5);
        try (SharedDriver driver = SharedDriver.launch(new SharedDriver.Context().ranksOnHost(ranks).worldSize(16)
                .termLength(1 << 20).peerTimeout(stallTolerance))) {
            DataPlane[] planes = new DataPlane[ranks];
            try {
                for (int i = 0; i < ranks; i++) {
                    planes[i] = DataPlane.launch(TestRing.testContext().endpoint(address + ":0").sharedDriver(driver.directory())
                            .peerTimeout(stallTolerance).collectiveTimeout(Duration.ofSeconds(20)).connectTimeout(Duration.ofSeconds(30))
                            .threadName("rank-" + i));
                    System.out.println("ENDPOINT " + planes[i].endpoint());
                }
                System.out.flush();
                String[] ring = in.readLine().split(" ");
                List<String> endpoints = List.of(ring[1].split(","));
                int first = Integer.parseInt(ring[2]);
                int count = Integer.parseInt(ring[3]);
                int iterations = Integer.parseInt(ring[4]);
                List<CompletableFuture<Communicator>> joins = new ArrayList<>();
                for (int i = 0; i < ranks; i++) {
                    int local = i;
                    joins.add(CompletableFuture.supplyAsync(() -> planes[local].join(1, first + local, endpoints, TestRing.token(1))));
                }
                Communicator[] comms = new Communicator[ranks];
                for (int i = 0; i < ranks; i++) {
                    comms[i] = joins.get(i).get(60, TimeUnit.SECONDS);
                }
                System.out.println("TOPOLOGY " + comms[0].topology());
                UnsafeBuffer[] buffers = new UnsafeBuffer[ranks];
                long[] wrong = new long[ranks];
                for (int i = 0; i < ranks; i++) {
                    buffers[i] = new UnsafeBuffer(ByteBuffer.allocateDirect(count * Float.BYTES));
                }
                int world = endpoints.size();
                for (int it = 0; it < iterations; it++) {
                    List<CompletableFuture<Void>> runs = new ArrayList<>();
                    for (int i = 0; i < ranks; i++) {
                        int rank = first + i;
                        for (int e = 0; e < count; e++) {
                            buffers[i].putFloat(e * 4, (rank + e + it) % 8 + 1);
                        }
                        runs.add(comms[i].allReduce(buffers[i], 0, count, DataType.FLOAT32, ReduceOp.SUM));
                    }
                    for (CompletableFuture<Void> run : runs) {
                        run.get(120, TimeUnit.SECONDS);
                    }
                    for (int i = 0; i < ranks; i++) {
                        for (int e = 0; e < count; e++) {
                            float expected = 0;
                            for (int r = 0; r < world; r++) {
                                expected += (r + e + it) % 8 + 1;
                            }
                            if (buffers[i].getFloat(e * 4) != expected) {
                                wrong[i]++;
                            }
                        }
                    }
                }
                for (int i = 0; i < ranks; i++) {
                    byte[] bytes = new byte[count * Float.BYTES];
                    buffers[i].getBytes(0, bytes);
                    CRC32 crc = new CRC32();
                    crc.update(bytes);
                    System.out.println("RESULT " + (first + i) + " " + wrong[i] + " " + Long.toHexString(crc.getValue()));
                }
                List<CompletableFuture<Void>> barriers = new ArrayList<>();
                Arrays.stream(comms).forEach(c -> barriers.add(c.barrier()));
                for (CompletableFuture<Void> b : barriers) {
                    b.get(60, TimeUnit.SECONDS);
                }
                System.out.println("DONE");
                System.out.flush();
                String exit = in.readLine();
                if (!"EXIT".equals(exit)) {
                    throw new IllegalStateException("expected EXIT from the parent, read " + exit);
                }
            } finally {
                for (DataPlane p : planes) {
                    if (p != null) {
                        p.close();
                    }
                }
            }
        }
    }
}
