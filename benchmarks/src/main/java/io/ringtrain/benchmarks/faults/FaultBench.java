package io.ringtrain.benchmarks.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Fault tolerance as a user gets it: `ringtrain local` runs once without faults and once with faults injected by real
 * signals (SIGKILL, SIGTERM, SIGSTOP) into its worker processes, or SIGKILL into the coordinator's, in the same
 * invocation. Per worker fault it reports the detection time (fault -> every survivor stopped), the recovery time
 * (-> first step of the new generation), the time until the restarted worker steps with the others again, the steps
 * redone and how the SIGTERMed process exited; per coordinator fault the hand-over time (kill -> a new coordinator
 * took the run over, able to change membership), whether it adopted the ring as it was, and how long stepping paused;
 * then the state-transfer bandwidth and the training efficiency against the fault-free run. The run's own summary
 * (--summary-json) gives every membership change with wall-clock times; the coordinator figures come from the run's
 * console lines, timed as this harness reads them.
 */
@Command(name = "faults", mixinStandardHelpOptions = true,
        description = "Inject SIGKILL/SIGTERM/SIGSTOP into `ringtrain local` workers, or SIGKILL into its coordinator, and report detection, "
                + "recovery, rejoin, coordinator hand-over, "
                + "state transfer and training efficiency against a fault-free run measured in the same invocation.")
public final class FaultBench implements Callable<Integer> {

    @Option(names = "--workers", defaultValue = "4", description = "Worker processes. Default: ${DEFAULT-VALUE}")
    int workers;
    @Option(names = "--steps", defaultValue = "3000", description = "Steps of each run. Default: ${DEFAULT-VALUE}")
    int steps;
    @Option(names = "--synthetic-compute-ms", defaultValue = "50",
            description = "Parked (not spent) compute per step, standing in for a larger model. Default: ${DEFAULT-VALUE}")
    int syntheticComputeMs;
    @Option(names = "--every", defaultValue = "60s", description = "Time between faults, e.g. 60s. Default: ${DEFAULT-VALUE}")
    String every;
    @Option(names = "--faults", split = ",", defaultValue = "kill,term,stop",
            description = "Fault kinds, used in turn: kill (SIGKILL), term (SIGTERM), stop (SIGSTOP, SIGCONT once the ring moved on) "
                    + "into a worker; coordinator (SIGKILL into the coordinator's process). Default: ${DEFAULT-VALUE}")
    List<String> faults;
    @Option(names = "--standby-coordinator", description = "Run a standby coordinator beside the coordinator (`ringtrain local --standby-coordinator`).")
    boolean standby;
    @Option(names = "--seed", defaultValue = "1", description = "Chooses the victims. Default: ${DEFAULT-VALUE}")
    long seed;
    @Option(names = "--ringtrain-jar", defaultValue = "coordinator/target/ringtrain.jar",
            description = "The ringtrain command line (`mvn package` builds it). Default: ${DEFAULT-VALUE}")
    Path ringtrainJar;
    @Option(names = "--out", defaultValue = "fault-bench", description = "Directory for logs, summaries and the CSV. Default: ${DEFAULT-VALUE}")
    Path out;
    @Option(names = "--no-baseline", description = "Skip the fault-free run (no efficiency figure).")
    boolean noBaseline;

    /** One injected fault and when; for SIGTERM, when the process had exited (it leaves the run first). */
    record Injected(String kind, String worker, long atMillis, java.util.concurrent.CompletableFuture<Long> exitedAtMillis) {
    }

    @Override
    public Integer call() throws Exception {
        if (workers < 2) {
            throw new IllegalArgumentException("--workers must be at least 2: one must survive the fault");
        }
        if (!Files.isRegularFile(ringtrainJar)) {
            throw new IllegalArgumentException("--ringtrain-jar " + ringtrainJar + " does not exist: run `mvn -B -q -DskipTests package` first");
        }
        for (String f : faults) {
            if (!List.of("kill", "term", "stop", COORDINATOR).contains(f)) {
                throw new IllegalArgumentException("--faults: unknown fault '" + f + "'; use kill, term, stop and/or coordinator");
            }
        }
        Duration gap = Duration.parse("PT" + every.toUpperCase(Locale.ROOT));
        Files.createDirectories(out);
        System.out.printf(Locale.ROOT, "fault benchmark: %d workers, %d steps, %d ms synthetic compute per step, a fault every %s (%s)%s; %d cores, load %s%n",
                workers, steps, syntheticComputeMs, every, String.join(",", faults), standby ? ", standby coordinator" : "",
                Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).trim());

        Optional<RunSummary> baseline = Optional.empty();
        OptionalDouble baselineWallRate = OptionalDouble.empty();
        if (!noBaseline) {
            System.out.println("== run without faults");
            try (RingtrainLocal run = RingtrainLocal.start(ringtrainJar, out, "baseline", args("baseline"))) {
                run.awaitExit(Duration.ofHours(2));
                baseline = Optional.of(RunSummary.read(out.resolve("baseline.json")));
                baselineWallRate = wallClockStepsPerSecond(run.lines());
            }
            System.out.printf(Locale.ROOT, "   %.2f steps/s%n", baseline.get().stepsPerSecond());
        }

        System.out.println("== run with faults");
        List<Injected> injected = new ArrayList<>();
        List<CoordinatorHandover> handovers = new ArrayList<>();
        RunSummary faulty;
        OptionalDouble faultyWallRate;
        try (RingtrainLocal run = RingtrainLocal.start(ringtrainJar, out, "faults", args("faults"))) {
            run.awaitOutput("training with " + workers + " workers", Duration.ofMinutes(5));
            SplittableRandom random = new SplittableRandom(seed);
            int next = 0;
            while (run.isAlive()) {
                if (!run.sleepWhileAlive(gap)) {
                    break;
                }
                String kind = faults.get(next++ % faults.size());
                if (kind.equals(COORDINATOR)) {
                    killCoordinator(run).ifPresent(handovers::add);
                    continue;
                }
                Optional<ProcessHandle> victim = run.randomWorker(random, workers);
                if (victim.isEmpty()) {
                    continue; // every worker is being replaced right now
                }
                String name = RingtrainLocal.workerName(victim.get());
                long at = System.currentTimeMillis();
                int changesBefore = run.count("ring re-formed");
                boolean sent = RingtrainLocal.signal(victim.get(), switch (kind) {
                    case "kill" -> "KILL";
                    case "term" -> "TERM";
                    default -> "STOP";
                });
                if (!sent) {
                    continue; // it exited meanwhile (the run may be ending)
                }
                injected.add(new Injected(kind, name, at, victim.get().onExit().thenApply(p -> System.currentTimeMillis())));
                System.out.printf(Locale.ROOT, "   %s %s (pid %d)%n", kind, name, victim.get().pid());
                if (kind.equals("stop")) {
                    run.awaitCount("ring re-formed", changesBefore + 1, Duration.ofSeconds(60));
                    RingtrainLocal.signal(victim.get(), "CONT");
                }
            }
            run.awaitExit(Duration.ofHours(2));
            faulty = RunSummary.read(out.resolve("faults.json"));
            faultyWallRate = wallClockStepsPerSecond(run.lines());
        }

        if (!injected.isEmpty() || handovers.isEmpty()) {
            report(injected, faulty, baseline);
        }
        reportHandovers(handovers);
        if (baselineWallRate.isPresent() && faultyWallRate.isPresent()) {
            System.out.printf(Locale.ROOT, "training efficiency by the wall clock (first step to the run's end): %.2f steps/s with faults, "
                    + "%.2f without: %.1f %%%n", faultyWallRate.getAsDouble(), baselineWallRate.getAsDouble(),
                    faultyWallRate.getAsDouble() / baselineWallRate.getAsDouble() * 100);
        }
        return 0;
    }

    static final String COORDINATOR = "coordinator";
    private static final String TOOK_OVER = "coordinator took over the run";
    private static final Pattern PROGRESS = Pattern.compile("^step +(\\d+)/\\d+ ");

    /**
     * One coordinator kill: when, when a new coordinator had taken the run over (printed once it holds the ring and can
     * change membership), whether it adopted the ring as it was, and the progress lines around the gap.
     */
    record CoordinatorHandover(long killedAtMillis, long tookOverAtMillis, boolean adopted, Optional<RingtrainLocal.Line> lastBefore,
                               Optional<RingtrainLocal.Line> tenSecondsBefore, Optional<RingtrainLocal.Line> firstAfter) {

        double handoverSeconds() {
            return (tookOverAtMillis - killedAtMillis) / 1e3;
        }

        /** Stepping time lost over the gap: its length less the time the steps done in it take at the rate before. */
        double pausedSeconds() {
            if (lastBefore.isEmpty() || tenSecondsBefore.isEmpty() || firstAfter.isEmpty()) {
                return Double.NaN;
            }
            double rate = (step(lastBefore.get()) - step(tenSecondsBefore.get())) * 1e3
                    / Math.max(1, lastBefore.get().atMillis() - tenSecondsBefore.get().atMillis());
            double gap = (firstAfter.get().atMillis() - lastBefore.get().atMillis()) / 1e3;
            return rate > 0 ? gap - stepsInGap() / rate : Double.NaN;
        }

        long stepsInGap() {
            return lastBefore.isPresent() && firstAfter.isPresent() ? step(firstAfter.get()) - step(lastBefore.get()) : -1;
        }
    }

    /** SIGKILLs the coordinator in charge and waits (bounded) for the one that takes over; empty if none was alive. */
    private static Optional<CoordinatorHandover> killCoordinator(RingtrainLocal run) throws IOException, InterruptedException {
        Optional<ProcessHandle> victim = run.activeCoordinator();
        if (victim.isEmpty()) {
            return Optional.empty();
        }
        long at = System.currentTimeMillis();
        if (!RingtrainLocal.signal(victim.get(), "KILL")) {
            return Optional.empty();
        }
        System.out.printf(Locale.ROOT, "   coordinator (pid %d)%n", victim.get().pid());
        Optional<RingtrainLocal.Line> took = run.awaitLine(at, text -> text.startsWith(TOOK_OVER), Duration.ofSeconds(90));
        if (took.isEmpty()) {
            System.out.println("   no coordinator took the run over within 90 s");
            return Optional.empty();
        }
        Optional<RingtrainLocal.Line> after = run.awaitLine(took.get().atMillis(), text -> PROGRESS.matcher(text).find(), Duration.ofSeconds(30));
        List<RingtrainLocal.Line> before = run.lines().stream().filter(l -> l.atMillis() < at && PROGRESS.matcher(l.text()).find()).toList();
        Optional<RingtrainLocal.Line> last = before.isEmpty() ? Optional.empty() : Optional.of(before.get(before.size() - 1));
        Optional<RingtrainLocal.Line> earlier = last.flatMap(l -> before.stream().filter(b -> b.atMillis() >= l.atMillis() - 10_000).findFirst());
        return Optional.of(new CoordinatorHandover(at, took.get().atMillis(), took.get().text().contains("goes on as it is"), last, earlier, after));
    }

    private static long step(RingtrainLocal.Line progress) {
        Matcher m = PROGRESS.matcher(progress.text());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private void reportHandovers(List<CoordinatorHandover> handovers) throws IOException {
        if (handovers.isEmpty()) {
            return;
        }
        List<String> csv = new ArrayList<>(List.of("handover_s,adopted,steps_in_gap,paused_s"));
        System.out.printf("%n%-11s %9s %8s %12s %9s%n", "fault", "handover", "ring", "steps in gap", "paused");
        for (CoordinatorHandover h : handovers) {
            System.out.printf(Locale.ROOT, "%-11s %8.2fs %8s %12d %8.1fs%n", COORDINATOR, h.handoverSeconds(), h.adopted() ? "adopted" : "re-formed",
                    h.stepsInGap(), h.pausedSeconds());
            csv.add(String.join(",", number(h.handoverSeconds()), Boolean.toString(h.adopted()), Long.toString(h.stepsInGap()),
                    number(h.pausedSeconds())));
        }
        List<Double> times = handovers.stream().map(CoordinatorHandover::handoverSeconds).toList();
        System.out.printf(Locale.ROOT, "coordinator hand-over  p50 %.2f s  max %.2f s (%d kills, %s); paused = the gap between the progress lines"
                + " around it less the time its steps take at the rate of the 10 s before (progress lines come every second: +-1 s)%n",
                percentile(times, 0.5), percentile(times, 1.0), handovers.size(), standby ? "a standby takes over" : "the restarted process takes over");
        Files.write(out.resolve("coordinator-faults.csv"), csv);
        System.out.println("per-kill table: " + out.resolve("coordinator-faults.csv"));
    }

    /** Steps per second from the first "training with" line to the run's summary line, as this harness read them. */
    private OptionalDouble wallClockStepsPerSecond(List<RingtrainLocal.Line> lines) {
        Optional<RingtrainLocal.Line> start = lines.stream().filter(l -> l.text().startsWith("training with ")).findFirst();
        Optional<RingtrainLocal.Line> end = lines.stream().filter(l -> l.text().startsWith("run ") && l.text().contains(" finished: ")).findFirst();
        if (start.isEmpty() || end.isEmpty() || end.get().atMillis() <= start.get().atMillis()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(steps * 1e3 / (end.get().atMillis() - start.get().atMillis()));
    }

    private List<String> args(String name) {
        List<String> args = new ArrayList<>(List.of("local", "--workers", Integer.toString(workers), "--steps", Integer.toString(steps),
                "--max-restarts", "1000", "--progress-interval", "1s", "-O", "synthetic-compute-ms=" + syntheticComputeMs,
                "--checkpoint-dir", out.resolve(name + "-ckpt").toString(), "--log-dir", out.resolve(name + "-logs").toString(),
                "--summary-json", out.resolve(name + ".json").toString()));
        if (standby) {
            args.add("--standby-coordinator");
        }
        return args;
    }

    private void report(List<Injected> injected, RunSummary run, Optional<RunSummary> baseline) throws IOException {
        List<String> csv = new ArrayList<>(List.of("fault,worker,detection_s,recovery_s,rejoin_s,steps_redone,world_after"));
        List<Double> detections = new ArrayList<>();
        List<Double> recoveries = new ArrayList<>();
        System.out.printf("%n%-5s %-10s %11s %10s %10s %7s %6s%n", "fault", "worker", "detection", "recovery", "rejoin", "redone", "world");
        for (Injected fault : injected) {
            Optional<RunSummary.Change> lost = run.changes().stream()
                    .filter(c -> c.triggeredAtMillis() >= fault.atMillis() - 50 && c.left().contains("\"" + fault.worker() + "\""))
                    .findFirst();
            Optional<RunSummary.Change> back = run.changes().stream()
                    .filter(c -> c.triggeredAtMillis() > fault.atMillis() && c.joined().contains("\"" + fault.worker() + "\""))
                    .findFirst();
            double detection = lost.map(c -> (c.stoppedAtMillis() - fault.atMillis()) / 1e3).orElse(Double.NaN);
            double recovery = lost.map(c -> c.resumedAtMillis() == 0 ? Double.NaN : (c.resumedAtMillis() - c.stoppedAtMillis()) / 1e3)
                    .orElse(Double.NaN);
            double rejoin = back.map(c -> c.resumedAtMillis() == 0 ? Double.NaN : (c.resumedAtMillis() - fault.atMillis()) / 1e3)
                    .orElse(Double.NaN);
            if (lost.isPresent()) {
                detections.add(detection);
                recoveries.add(recovery);
            }
            String line = String.format(Locale.ROOT, "%-5s %-10s %10.3fs %9.3fs %9.1fs %7s %6s", fault.kind(), fault.worker(), detection,
                    recovery, rejoin, lost.map(c -> Long.toString(c.stepsRedone())).orElse("?"),
                    lost.map(c -> Integer.toString(c.worldSizeAfter())).orElse("?"));
            System.out.println(line);
            csv.add(String.join(",", fault.kind(), fault.worker(), number(detection), number(recovery), number(rejoin),
                    lost.map(c -> Long.toString(c.stepsRedone())).orElse(""), lost.map(c -> Integer.toString(c.worldSizeAfter())).orElse("")));
        }
        System.out.printf(Locale.ROOT, "%ndetection  p50 %.3f s  max %.3f s   recovery  p50 %.3f s  max %.3f s   (%d faults, %d membership changes)%n",
                percentile(detections, 0.5), percentile(detections, 1.0), percentile(recoveries, 0.5), percentile(recoveries, 1.0),
                injected.size(), run.changes().size());
        List<double[]> transfers = stateTransfers(out.resolve("faults-logs"));
        if (!transfers.isEmpty()) {
            double bytes = transfers.stream().mapToDouble(t -> t[0]).max().orElse(0);
            double ms = percentile(transfers.stream().map(t -> t[1]).toList(), 0.5);
            System.out.printf(Locale.ROOT, "state transfer to joining or lagging ranks: %d transfers of %.0f bytes, median %.0f ms"
                    + " (%.1f MB/s%s)%n", transfers.size(), bytes, ms, bytes / 1e6 / Math.max(ms, 1) * 1e3,
                    bytes < 1e6 ? "; a state this small measures latency, not bandwidth" : "");
        }
        if (baseline.isPresent() && !faults.contains(COORDINATOR)) { // a coordinator that took over counts from then on only
            double efficiency = run.stepsPerSecond() / baseline.get().stepsPerSecond();
            System.out.printf(Locale.ROOT, "training efficiency: %.2f steps/s with faults, %.2f without: %.1f %%%n", run.stepsPerSecond(),
                    baseline.get().stepsPerSecond(), efficiency * 100);
        }
        for (Injected fault : injected) {
            if (fault.kind().equals("term") && fault.exitedAtMillis().isDone()) {
                System.out.printf(Locale.ROOT, "SIGTERM to %s: its process exited %.2f s later, after leaving the run (a pod's grace period is 30 s)%n",
                        fault.worker(), (fault.exitedAtMillis().join() - fault.atMillis()) / 1e3);
            }
        }
        Files.write(out.resolve("faults.csv"), csv);
        System.out.println("per-fault table: " + out.resolve("faults.csv"));
    }

    private static final Pattern TRANSFER = Pattern.compile("took the training state \\((\\d+) bytes.*? in (\\d+) ms \\(([0-9]+) MB/s\\)");

    /** [bytes, milliseconds] of every state transfer a receiving rank's log reports. */
    private static List<double[]> stateTransfers(Path logs) throws IOException {
        List<double[]> transfers = new ArrayList<>();
        if (!Files.isDirectory(logs)) {
            return transfers;
        }
        try (Stream<Path> files = Files.walk(logs)) {
            for (Path log : files.filter(p -> p.toString().endsWith(".log")).toList()) {
                Matcher m = TRANSFER.matcher(Files.readString(log));
                while (m.find()) {
                    transfers.add(new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))});
                }
            }
        }
        return transfers;
    }

    static double percentile(List<Double> values, double q) {
        List<Double> sorted = values.stream().filter(v -> !v.isNaN()).sorted().toList();
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = Math.max(0, (int) Math.ceil(q * sorted.size()) - 1); // nearest rank
        return sorted.get(Math.min(sorted.size() - 1, index));
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

}
