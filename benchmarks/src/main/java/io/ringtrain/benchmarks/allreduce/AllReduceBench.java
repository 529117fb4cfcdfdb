package io.ringtrain.benchmarks.allreduce;

import io.ringtrain.allreduce.DataPlaneContext;
import io.ringtrain.allreduce.NetnsHosts;
import io.ringtrain.allreduce.SharedDriver;
import io.ringtrain.allreduce.SharedMemoryBudget;
import io.ringtrain.allreduce.Sizes;
import io.ringtrain.allreduce.WireCompression;
import io.ringtrain.benchmarks.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * All-reduce bandwidth and latency across W rank processes on 127.0.0.1, reported the way nccl-tests does:
 * time is the median over iterations of the slowest rank, algbw = bytes / time, busbw = algbw * 2(W-1)/W.
 * Every iteration's result is validated; any wrong element makes the command exit non-zero.
 */
@Command(name = "allreduce", mixinStandardHelpOptions = true,
        description = "All-reduce bandwidth/latency sweep across W rank processes on this host (nccl-tests style).")
public final class AllReduceBench implements Callable<Integer> {
    @Option(names = "--world", description = "Number of rank processes (1-16). Default: ${DEFAULT-VALUE}.")
    int world = 4;

    @Option(names = "--sizes", split = ",", description = "Buffer sizes in bytes, K/M/G suffixes allowed. Default: ${DEFAULT-VALUE}.")
    List<String> sizes = List.of("4K", "64K", "1M", "16M", "64M", "256M");

    @Option(names = "--transport", description = "udp (one media driver per rank) or ipc (shared driver). Default: ${DEFAULT-VALUE}.")
    String transport = "udp";

    @Option(names = "--op", description = "sum, avg, min or max. Default: ${DEFAULT-VALUE}.")
    String op = "sum";

    @Option(names = "--dtype", description = "float32 or float64. Default: ${DEFAULT-VALUE}.")
    String dtype = "float32";

    @Option(names = "--compression", description = "none or bf16 (float32 only). Default: ${DEFAULT-VALUE}.")
    String compression = "none";

    @Option(names = "--mtu", description = "Aeron MTU in bytes (0 = transport default). Default: ${DEFAULT-VALUE}.")
    int mtu;

    @Option(names = "--term-length", description = "Aeron term length; 0: 4M over UDP (the window is capped by the"
            + " socket buffer anyway), 32M over IPC (a deep window rides out scheduling gaps). Default: ${DEFAULT-VALUE}.")
    String termLength = "0";

    @Option(names = "--p2p-size", description = "Bytes for the point-to-point probe (0 skips it). Default: ${DEFAULT-VALUE}.")
    String p2pSize = "64M";

    @Option(names = "--rank-jvm-option", description = "Extra JVM option for every rank process (repeatable), e.g."
            + " -Dringtrain.aeron.idle-strategy=busy-spin.")
    List<String> rankJvmOptions = new ArrayList<>();

    @Option(names = "--back-to-back", description = "Time iterations back to back (pipelined, as in a training loop)"
            + " instead of each one from a barrier (the latency of one collective when all ranks arrive together).")
    boolean backToBack;

    @Option(names = "--hosts", description = "local (every rank on this host's loopback) or netns (every rank a host of"
            + " its own: a network namespace on a virtual switch; needs root). Default: ${DEFAULT-VALUE}.")
    String hosts = "local";

    @Option(names = "--link-rate", description = "With --hosts netns: shape every host's link to this rate with tbf (tc"
            + " syntax, e.g. 1gbit, 100mbit) and report busbw against it.")
    String linkRate;

    @Option(names = "--loss", description = "With --hosts netns: every host drops this percentage of the UDP packets"
            + " it receives, at random (an nftables rule in its namespace; data, NAKs and heartbeats alike), so that"
            + " Aeron must resend. Runs every size without loss first, then with it, and prints the slowdown."
            + " Default: ${DEFAULT-VALUE} (no lossy run).")
    int loss;

    @Option(names = "--broadcast-size", description = "Also time a broadcast of this many bytes from rank 0 (state transfer"
            + " to a joining worker); 0 skips it. Default: ${DEFAULT-VALUE}.")
    String broadcastSize = "64M";

    @Option(names = "--iterations", description = "Timed iterations per size (0: 100 for small sizes down to 5 for"
            + " the largest). Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = "--warmup", description = "Least warm-up time before the first size, so the JIT is done compiling"
            + " the data path before timing starts. Default: ${DEFAULT-VALUE}.")
    String warmup = "3s";

    @Option(names = "--profile", description = "Profile every rank's timed iterations with async-profiler: cpu, wall,"
            + " alloc or lock. Collapsed stacks go to --profile-dir, one file per rank and size.")
    String profile;

    @Option(names = "--profile-dir", description = "Where --profile writes. Default: ${DEFAULT-VALUE}.")
    Path profileDir = Path.of("profiles");

    @Option(names = "--csv", description = "Also write the table as CSV to this file.")
    Path csv;

    @Option(names = "--plot", description = "Also write a PNG chart of busbw against size to this file.")
    Path plot;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        BenchSettings s = BenchSettings.validate(world, sizes, transport, op, dtype, compression, termLength, p2pSize,
                iterations, warmup, profile, hosts, linkRate, broadcastSize, loss);
        NetnsHosts net = null;
        if (s.netns()) {
            java.util.Optional<String> reason = NetnsHosts.unavailableReason();
            if (reason.isPresent()) {
                System.err.println("--hosts netns is not possible here: " + reason.get());
                return 2;
            }
            NetnsHosts.deleteLeftovers();
            if (s.lossPercent() > 0) {
                java.util.Optional<String> noLoss = NetnsHosts.lossUnavailableReason();
                if (noLoss.isPresent()) {
                    System.err.println("--loss is not possible here: " + noLoss.get());
                    return 2;
                }
            }
            net = NetnsHosts.create(world, linkRate);
        }
        try {
            if (s.lossPercent() == 0) {
                return run(s, net).exitCode();
            }
            out.println("# == without loss");
            Outcome lossless = run(s, net);
            if (lossless.exitCode() != 0) {
                return lossless.exitCode();
            }
            for (int h = 0; h < world; h++) {
                net.dropUdp(h, s.lossPercent());
            }
            out.printf(Locale.ROOT, "# == with %d %% of every host's UDP packets dropped%n", s.lossPercent());
            Outcome lossy = run(s, net);
            long dropped = 0;
            for (int h = 0; h < world; h++) {
                dropped += net.droppedPackets(h);
            }
            out.printf(Locale.ROOT, "# packets dropped: %d over %d hosts%n", dropped, world);
            if (lossy.exitCode() == 2) {
                return 2;
            }
            out.print(ResultTable.slowdown(lossless.table(), lossy.table(), s.lossPercent()));
            return lossy.exitCode();
        } finally {
            if (net != null) {
                net.close();
            }
        }
    }

    /** One run of every size: its exit code (0 exact, 1 wrong results, 2 the run failed) and its table. */
    private record Outcome(int exitCode, ResultTable table) {
    }

    private Outcome run(BenchSettings s, NetnsHosts net) throws Exception {
        Path logs = Files.createTempDirectory("ringtrain-bench-");
        String driverDirectory = s.ipc() ? SharedDriver.defaultDirectory() : null;
        if (s.ipc()) {
            // All ranks' publications live in the one shared driver's directory: check the whole budget first.
            SharedMemoryBudget.check(new DataPlaneContext().endpoint("ipc:1").embeddedDriver(false)
                    .aeronDirectoryName(driverDirectory).termLength(s.termLength()), world, world);
        }
        SharedDriver driver = s.ipc() ? SharedDriver.launch(driverDirectory) : null;
        List<ChildJvm> ranks = new ArrayList<>();
        long started = System.nanoTime();
        try {
            out.printf(Locale.ROOT, "# ringtrain all-reduce: %d rank processes, %s%s (term %s), %s, %s %s%s, logs in %s%n", world,
                    transport, net == null ? "" : " between network-namespace hosts" + (linkRate == null ? ""
                            : " on " + linkRate + " links (tbf)"), io.ringtrain.allreduce.Sizes.format(s.termLength()),
                    backToBack ? "back to back" : "each iteration from a barrier",
                    s.type().name().toLowerCase(Locale.ROOT), s.op().name().toLowerCase(Locale.ROOT),
                    s.compression() == WireCompression.NONE ? "" : ", bf16 on the wire", logs);
            List<BlockingQueue<String>> lines = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                RankProtocol.RankArgs args = new RankProtocol.RankArgs(r, world, s.sizes(), s.ipc(),
                        driver == null ? null : driver.directory(), s.op(), s.type(), s.compression(), mtu, s.termLength(),
                        world >= 2 ? s.p2pBytes() : 0, backToBack, profile,
                        profile == null ? null : profileDir.toAbsolutePath().toString(), s.iterations(), s.warmupMillis(),
                        net == null ? "127.0.0.1" : net.address(r), s.broadcastBytes());
                ChildJvm rank = ChildJvm.start(net == null ? List.of() : net.inHost(r, List.of()), "rank-" + r,
                        rankJvmOptions(s), RankMain.class.getName(), args.toArgs(), logs);
                ranks.add(rank);
                lines.add(readLines(rank));
            }
            List<String> endpoints = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                endpoints.add(expect(ranks.get(r), lines.get(r), RankProtocol.ENDPOINT, 120));
            }
            List<PrintStream> stdins = new ArrayList<>();
            for (ChildJvm rank : ranks) {
                PrintStream stdin = new PrintStream(rank.process().getOutputStream(), true, StandardCharsets.UTF_8);
                stdin.println(RankProtocol.ringLine(endpoints));
                stdins.add(stdin);
            }
            double p2p = 0;
            if (world >= 2 && s.p2pBytes() > 0) {
                p2p = Double.parseDouble(expect(ranks.get(1), lines.get(1), RankProtocol.P2P, 300));
                expect(ranks.get(0), lines.get(0), RankProtocol.P2P, 300);
                out.printf(Locale.ROOT, "# point-to-point (rank 0 -> rank 1, %s, one stream): %.3f GB/s%n",
                        Sizes.format(s.p2pBytes()), p2p);
            }
            ResultTable table = new ResultTable(world, s.type(), s.op(), p2p).linkRate(s.linkGbPerSecond());
            out.println(table.header());
            for (long size : s.sizes()) {
                List<RankProtocol.SizeResult> perRank = new ArrayList<>();
                for (int r = 0; r < world; r++) {
                    perRank.add(RankProtocol.parseResult(expect(ranks.get(r), lines.get(r), RankProtocol.RESULT, 900)));
                }
                out.println(table.add(size, perRank));
            }
            if (world >= 2 && s.broadcastBytes() > 0) {
                List<long[]> perRank = new ArrayList<>();
                for (int r = 0; r < world; r++) {
                    perRank.add(RankProtocol.parseBroadcast(expect(ranks.get(r), lines.get(r), RankProtocol.BROADCAST, 900)));
                }
                out.println(table.broadcast(s.broadcastBytes(), perRank));
            }
            stdins.forEach(stdin -> stdin.println(RankProtocol.EXIT));
            for (ChildJvm rank : ranks) {
                int code = rank.awaitExit(60);
                if (code != 0) {
                    throw new BenchFailure(rank.name() + " exited with " + code + ":\n" + rank.logTail(20));
                }
            }
            out.println(table.footer());
            out.printf(Locale.ROOT, "# wall time %.1f s%n", (System.nanoTime() - started) / 1e9);
            if (csv != null) {
                table.writeCsv(csv);
                out.println("# wrote " + csv);
            }
            if (plot != null) {
                table.writePlot(plot, transport);
                out.println("# wrote " + plot);
            }
            return new Outcome(table.totalWrong() == 0 ? 0 : 1, table);
        } catch (BenchFailure e) {
            System.err.println("allreduce benchmark failed: " + e.getMessage());
            return new Outcome(2, null);
        } finally {
            ranks.forEach(ChildJvm::close);
            if (driver != null) {
                driver.close();
            }
        }
    }

    private List<String> rankJvmOptions(BenchSettings s) {
        long largest = Arrays.stream(s.sizes()).max().orElse(0);
        long direct = Math.max(Math.max(largest, s.p2pBytes()), s.broadcastBytes()) + (256L << 20);
        List<String> options = new ArrayList<>(List.of("-Xms64m", "-Xmx256m", "-XX:MaxDirectMemorySize=" + direct,
                "-XX:+UseSerialGC", "-Xss1m"));
        options.addAll(rankJvmOptions);
        return options;
    }

    private static BlockingQueue<String> readLines(ChildJvm rank) {
        BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(rank.process().getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    queue.add(line);
                }
            } catch (Exception ignored) {
                // The process ended; expect() reports it with its log.
            }
        }, rank.name() + "-stdout");
        reader.setDaemon(true);
        reader.start();
        return queue;
    }

    /** The next line with this prefix from a rank, or a failure naming the rank and its last log lines. */
    private static String expect(ChildJvm rank, BlockingQueue<String> lines, String prefix, long timeoutSeconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
            if (line == null && !rank.process().isAlive() && lines.isEmpty()) {
                throw new BenchFailure(rank.name() + " exited with " + rank.process().exitValue() + " before sending "
                        + prefix.trim() + ":\n" + rank.logTail(20));
            }
        }
        throw new BenchFailure(rank.name() + " sent no " + prefix.trim() + " within " + timeoutSeconds + " s:\n" + rank.logTail(20));
    }

    /** A failure of the benchmark run itself (a rank died or hung), as opposed to wrong results. */
    static final class BenchFailure extends RuntimeException {
        BenchFailure(String message) {
            super(message);
        }
    }
}
