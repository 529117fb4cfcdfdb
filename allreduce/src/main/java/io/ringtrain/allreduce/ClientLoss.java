package io.ringtrain.allreduce;

import io.aeron.Aeron;
import io.aeron.exceptions.ClientTimeoutException;
import io.aeron.exceptions.ConductorServiceTimeoutException;
import io.aeron.exceptions.DriverTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.ErrorHandler;

/**
 * Whether a data plane's Aeron client is gone for good, and why. Aeron closes a client itself when its conductor
 * did not run for longer than the driver's client timeout (the peer timeout here: the whole process stalled, as in
 * a long GC pause, CPU starvation or SIGSTOP), or when the driver stopped answering; the driver meanwhile drops the
 * client's publications, so its peers see it lost. Nothing on that client works again, and nothing reports it
 * except Aeron's error handler: this remembers the first fatal error it passes on, so that the data plane can say
 * so at once instead of timing out every ring it is asked to join.
 */
final class ClientLoss implements ErrorHandler {
    private final ErrorHandler next;
    private final Duration peerTimeout;
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private volatile Aeron client;

    ClientLoss(ErrorHandler next, Duration peerTimeout) {
        this.next = next;
        this.peerTimeout = peerTimeout;
    }

    void watch(Aeron client) {
        this.client = client;
    }

    @Override
    public void onError(Throwable error) {
        if (error instanceof ConductorServiceTimeoutException || error instanceof DriverTimeoutException
                || error instanceof ClientTimeoutException) {
            fatal.compareAndSet(null, error);
        }
        next.onError(error);
    }

    /** Why the client is gone, if it is: then only a new data plane (in practice, a new process) can take part again. */
    Optional<String> lostBecause() {
        Aeron c = client;
        Throwable error = fatal.get();
        if (error == null && (c == null || !c.isClosed())) {
            return Optional.empty();
        }
        String why = error instanceof ConductorServiceTimeoutException
                ? "this process did not run for longer than the peer timeout (" + peerTimeout.toMillis() + " ms: a long GC pause,"
                + " CPU starvation or SIGSTOP), so its peers count it as lost"
                : error instanceof DriverTimeoutException ? "the media driver stopped answering"
                : error instanceof ClientTimeoutException ? "the media driver timed the client out (this process stalled for"
                + " longer than the peer timeout, " + peerTimeout.toMillis() + " ms)" : "the client was closed";
        return Optional.of("its Aeron client is closed: " + why + (error == null ? "" : " (" + error.getMessage() + ")"));
    }
}
