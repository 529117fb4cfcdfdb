package io.ringtrain.allreduce;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A rank in its own JVM, for tests that need a real separate process (checksums across processes, SIGKILL).
 * Prints {@code ENDPOINT <e>}, reads {@code RING <e0,e1,...> <rank> <count> <iterations> <generation>} from stdin, then runs
 * that many all-reduces of {@code count} floats holding {@code rank + 1}, printing {@code ITERATION <i> <sum of
 * result>} after each, and {@code DONE} at the end ({@code JOIN-FAILED <why>} if it cannot join). Arguments: {@code [peer-timeout-ms collective-timeout-ms
 * [shared-driver-directory]]}.
 */
public final class RankProcess {
    private RankProcess() {
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        DataPlaneContext ctx = TestRing.testContext().endpoint("127.0.0.1:0").collectiveTimeout(Duration.ofSeconds(5));
        if (args.length >= 2) {
            ctx.peerTimeout(Duration.ofMillis(Long.parseLong(args[0]))).collectiveTimeout(Duration.ofMillis(Long.parseLong(args[1])));
        }
        if (args.length >= 3) {
            ctx.sharedDriver(args[2]);
        }
        try (DataPlane plane = DataPlane.launch(ctx)) {
            System.out.println("ENDPOINT " + plane.endpoint());
            System.out.flush();
            String[] ring = in.readLine().split(" ");
            List<String> endpoints = List.of(ring[1].split(","));
            int rank = Integer.parseInt(ring[2]);
            int count = Integer.parseInt(ring[3]);
            int iterations = Integer.parseInt(ring[4]);
            Communicator comm;
            try {
                int generation = Integer.parseInt(ring[5]);
                comm = plane.join(generation, rank, endpoints, TestRing.token(generation));
            } catch (DataPlaneException e) {
                System.out.println("JOIN-FAILED " + e.getMessage());
                System.out.flush();
                return;
            }
            UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(count * Float.BYTES));
            for (int it = 0; it < iterations; it++) {
                for (int i = 0; i < count; i++) {
                    buffer.putFloat(i * Float.BYTES, rank + 1);
                }
                comm.allReduce(buffer, 0, count, DataType.FLOAT32, ReduceOp.SUM).join();
                double sum = 0;
                for (int i = 0; i < count; i++) {
                    sum += buffer.getFloat(i * Float.BYTES);
                }
                System.out.println("ITERATION " + it + " " + sum);
                System.out.flush();
            }
            comm.barrier().join();
            System.out.println("DONE");
            System.out.flush();
        }
    }
}
