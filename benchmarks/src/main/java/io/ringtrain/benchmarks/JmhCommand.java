package io.ringtrain.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Runs the JMH micro-benchmarks packaged in this jar; arguments go to JMH unchanged (try {@code -h}). */
@Command(name = "jmh", description = "JMH micro-benchmarks (reduce kernel vs copy). Arguments are passed to JMH.")
public final class JmhCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", description = "JMH arguments, e.g. ReduceKernel -f 1 -wi 2 -i 3")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(args.toArray(String[]::new));
        return 0;
    }
}
