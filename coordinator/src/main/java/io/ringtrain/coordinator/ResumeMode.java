package io.ringtrain.coordinator;

import java.util.Locale;

/** Where a coordinator that starts a run begins it. */
public enum ResumeMode {
    /** From step 0, whatever the checkpoint location holds. */
    NEVER,
    /** From the newest committed checkpoint; failing if there is none (`--resume`). */
    ALWAYS,
    /**
     * From the newest committed checkpoint if there is one, else from step 0; and not at all if the run finished
     * (its completion record reaches the run's steps). What a coordinator pod that Kubernetes restarts needs.
     */
    AUTO;

    /** @param source how the user set it, for the message ("--resume", "ringtrain.coordinator.resume") */
    public static ResumeMode parse(String value, String source) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException(source + " must be never, always or auto, got '" + value + "'");
        }
    }

    /** As the command line spells it. */
    public String flagValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
