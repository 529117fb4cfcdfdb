package io.ringtrain.coordinator.launch;

/** A run spec that cannot be launched; the message names the field and what is allowed. */
public final class RunSpecException extends IllegalArgumentException {
    public RunSpecException(String message) {
        super(message);
    }
}
