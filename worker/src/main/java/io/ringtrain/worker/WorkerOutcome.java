package io.ringtrain.worker;

/** How a worker's part in a run ended; the process exit code follows from it. */
public record WorkerOutcome(boolean success, String message) {

    public static WorkerOutcome succeeded(String message) {
        return new WorkerOutcome(true, message);
    }

    public static WorkerOutcome failed(String message) {
        return new WorkerOutcome(false, message);
    }
}
