package io.ringtrain.coordinator;

import java.util.concurrent.CompletionException;

/** Storage calls made off the actor's thread, and the messages of their failures. */
final class BlockingCalls {

    @FunctionalInterface
    interface Io<T> {
        T run() throws Exception;
    }

    private BlockingCalls() {
    }

    /** Runs {@code io}, rethrowing a checked exception unchecked so it fails the surrounding future. */
    static <T> T call(Io<T> io) {
        try {
            return io.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /** The exception that caused {@code error}, past the futures' wrappers. */
    static Throwable root(Throwable error) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The message of the exception that caused {@code error}, past the futures' wrappers. */
    static String rootMessage(Throwable error) {
        Throwable t = root(error);
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }
}
