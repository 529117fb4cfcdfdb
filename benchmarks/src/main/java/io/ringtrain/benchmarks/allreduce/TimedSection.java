package io.ringtrain.benchmarks.allreduce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import one.profiler.AsyncProfiler;
import one.profiler.Counter;

/**
 * What a rank records around its timed iterations besides time: the context switches of all its threads (each
 * one is a wake-up or a preemption: the currency of an oversubscribed host) and, on request, an async-profiler
 * profile of exactly those iterations (warm-up and validation left out) as collapsed stacks.
 */
final class TimedSection {
    private final String profileEvent;
    private final Path profileFile;
    private long switchesAtStart;

    TimedSection(String profileEvent, Path profileFile) {
        this.profileEvent = profileEvent;
        this.profileFile = profileFile;
    }

    void start() throws IOException {
        if (profileEvent != null) {
            // Primes, so sampling does not beat with the data plane's 100 us park ceiling; sparse enough for CPU
            // profiling not to slow a 2-core host by much.
            AsyncProfiler.getInstance().execute("start,event=" + profileEvent + ",interval=" + (profileEvent.equals("wall") ? "199us" : "499us") + ",threads");
        }
        switchesAtStart = contextSwitches();
    }

    /** Stops the section; returns the context switches of every thread of this process during it. */
    long stop() throws IOException {
        long switches = contextSwitches() - switchesAtStart;
        if (profileEvent != null) {
            AsyncProfiler profiler = AsyncProfiler.getInstance();
            profiler.stop();
            Files.createDirectories(profileFile.toAbsolutePath().getParent());
            Files.writeString(profileFile, profiler.dumpCollapsed(Counter.SAMPLES));
        }
        return switches;
    }

    /** Voluntary plus involuntary context switches summed over this process's threads, from /proc. */
    static long contextSwitches() {
        long total = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException threadEnded) {
                    // A thread that ended between listing and reading: its switches are lost, not wrong.
                }
            }
        } catch (IOException | UnsupportedOperationException noProc) {
            return 0;
        }
        return total;
    }
}
