package io.ringtrain.coordinator;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One change of the ring, from the first sign of it to the first step the new generation completed. Times are
 * wall-clock (epoch milliseconds), so that a fault benchmark can set them against the moment it injected a fault.
 *
 * @param trigger            what started the change, as a user reads it ("worker-2's process exited with status 137")
 * @param joined             workers in the new ring that were not in the old one
 * @param left               workers of the old ring that are not in the new one, and why
 * @param triggeredAtMillis  when the coordinator first learnt of it
 * @param stoppedAtMillis    when every member of the old ring had stopped (aborted, or paused at a step boundary)
 * @param resumedAtMillis    when the new generation's first step had completed (0: it never stepped)
 * @param resumeStep         the step the new generation started from
 * @param stepsRedone        completed steps that were lost and had to be run again (0 unless the only member that
 *                           held the furthest state was lost)
 */
public record MembershipChange(long fromGeneration, long toGeneration, int worldSizeBefore, int worldSizeAfter, String trigger,
                               List<String> joined, Map<String, String> left, long triggeredAtMillis, long stoppedAtMillis,
                               long resumedAtMillis, long resumeStep, long stepsRedone) {

    public MembershipChange {
        joined = List.copyOf(joined);
        left = Map.copyOf(left);
    }

    /** First sign to every member of the old ring stopped. */
    public Duration detection() {
        return Duration.ofMillis(Math.max(0, stoppedAtMillis - triggeredAtMillis));
    }

    /** Every member stopped to the new generation's first completed step. */
    public Duration recovery() {
        return Duration.ofMillis(resumedAtMillis == 0 ? 0 : Math.max(0, resumedAtMillis - stoppedAtMillis));
    }

    /** A change that paused the run below min-workers completes with a ring formed later. */
    MembershipChange formed(long generation, int worldSize, List<String> joiners, long startStep) {
        return new MembershipChange(fromGeneration, generation, worldSizeBefore, worldSize, trigger, joiners, left,
                triggeredAtMillis, stoppedAtMillis, resumedAtMillis, startStep, Math.max(0, resumeStep - startStep));
    }

    MembershipChange resumed(long atMillis) {
        return new MembershipChange(fromGeneration, toGeneration, worldSizeBefore, worldSizeAfter, trigger, joined, left,
                triggeredAtMillis, stoppedAtMillis, atMillis, resumeStep, stepsRedone);
    }

    /** "generation 2 -> 3 (4 -> 3 workers) at step 170: worker-2 left (its process exited with status 137); ...". */
    public String describe() {
        StringBuilder s = new StringBuilder("generation " + fromGeneration + " -> " + toGeneration + " (" + worldSizeBefore + " -> "
                + worldSizeAfter + " workers) at step " + resumeStep + ": " + trigger);
        left.forEach((id, why) -> s.append("; ").append(id).append(" left (").append(why).append(")"));
        joined.forEach(id -> s.append("; ").append(id).append(" joined"));
        s.append(String.format(java.util.Locale.ROOT, "; detected in %.2f s, stepping again %.2f s later, %d steps redone",
                detection().toMillis() / 1e3, recovery().toMillis() / 1e3, stepsRedone));
        return s.toString();
    }
}
