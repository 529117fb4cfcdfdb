package io.ringtrain.coordinator;

/** A process's exit status as people read it: "137 (SIGKILL)". */
public final class ExitStatus {
    private ExitStatus() {
    }

    /** "137 (SIGKILL)", "1": statuses above 128 are 128 + the number of the signal that ended the process. */
    public static String describe(int status) {
        String signal = switch (status) {
            case 137 -> " (SIGKILL)";
            case 143 -> " (SIGTERM)";
            case 130 -> " (SIGINT)";
            case 134 -> " (SIGABRT)";
            case 139 -> " (SIGSEGV)";
            default -> "";
        };
        return status + signal;
    }
}
