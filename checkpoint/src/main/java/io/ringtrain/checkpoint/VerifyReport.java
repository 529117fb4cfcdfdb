package io.ringtrain.checkpoint;

import java.util.List;

/**
 * Result of re-reading every shard of a checkpoint and checking its size and CRC32C.
 *
 * @param checkpoint the checkpoint's URI (its step directory)
 * @param problems   everything wrong, each naming the object; empty exactly when {@link #passed()}
 */
public record VerifyReport(String checkpoint, List<ShardCheck> shards, List<String> problems) {

    /** One shard's outcome; {@code problem} is null when the shard is intact. */
    public record ShardCheck(int rank, String uri, long expectedBytes, long actualBytes,
                             String expectedCrc32c, String actualCrc32c, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    public VerifyReport {
        shards = List.copyOf(shards);
        problems = List.copyOf(problems);
    }

    public boolean passed() {
        return problems.isEmpty();
    }

    /** Human-readable report ending in PASS or FAIL; a CLI prints it and exits non-zero on FAIL. */
    public String toText() {
        StringBuilder out = new StringBuilder("verify ").append(checkpoint).append('\n');
        for (ShardCheck shard : shards) {
            out.append(String.format("  rank %-4d %-4s %,15d bytes  crc32c %s  %s%n", shard.rank(), shard.ok() ? "ok" : "BAD",
                    shard.actualBytes(), shard.actualCrc32c(), shard.ok() ? shard.uri() : shard.problem()));
        }
        for (String problem : problems) {
            if (shards.stream().noneMatch(s -> problem.equals(s.problem()))) {
                out.append("  problem: ").append(problem).append('\n');
            }
        }
        out.append(passed() ? "PASS: " + shards.size() + " shard(s) intact" : "FAIL: " + problems.size() + " problem(s)").append('\n');
        return out.toString();
    }
}
