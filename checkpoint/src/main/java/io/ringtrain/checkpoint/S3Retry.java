package io.ringtrain.checkpoint;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries one S3 call on transient failures (connection errors, 5xx, throttling) with exponential
 * backoff and jitter until a total time budget is spent, then fails naming the object and the last
 * cause. Permanent failures (403, 404, bad request) fail at once. The SDK's own retries are off, so
 * this is the only retry loop and the budget is the bound.
 */
final class S3Retry {
    private static final Logger LOG = LoggerFactory.getLogger(S3Retry.class);

    private final Duration budget;
    private final Duration initialBackoff;
    private final Duration maxBackoff;

    S3Retry(Duration budget, Duration initialBackoff, Duration maxBackoff) {
        this.budget = budget;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
    }

    /**
     * Runs {@code call}, retrying transient failures.
     *
     * @param what names the operation and object for messages, e.g. "PUT s3://b/run/step-…/MANIFEST"
     */
    <T> T run(String what, Supplier<T> call) {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        long backoffNanos = initialBackoff.toNanos();
        for (int attempt = 1; ; attempt++) {
            RuntimeException failure;
            try {
                return call.get();
            } catch (S3Exception e) {
                if (!isTransient(e)) {
                    throw e;
                }
                failure = e;
            } catch (SdkClientException e) {
                if (!isTransient(e)) {
                    throw e;
                }
                failure = e;
            }
            long sleepNanos = ThreadLocalRandom.current().nextLong(backoffNanos / 2, backoffNanos + 1);
            long now = System.nanoTime();
            if (now + sleepNanos >= deadline) {
                throw new CheckpointException(what + " failed after " + attempt + " attempt(s) over "
                        + seconds(now - start) + " s (retry budget " + budget.toMillis() / 1000.0 + " s): "
                        + describe(failure) + "; check that the S3 endpoint is reachable and healthy", failure);
            }
            LOG.debug("{} failed (attempt {}), retrying in {} ms: {}", what, attempt, sleepNanos / 1_000_000, describe(failure));
            sleep(what, sleepNanos);
            backoffNanos = Math.min(backoffNanos * 2, maxBackoff.toNanos());
        }
    }

    static boolean isTransient(S3Exception e) {
        int status = e.statusCode();
        return status >= 500 || status == 429 || status == 408 || status == 0;
    }

    static boolean isTransient(SdkClientException e) {
        // Connection refused/reset, timeouts and truncated responses arrive as IOExceptions; anything
        // else (bad credentials setup, invalid request) will not get better by retrying.
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException) {
                return true;
            }
        }
        return e.retryable();
    }

    static String describe(Throwable failure) {
        if (failure instanceof S3Exception s3) {
            String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            return "HTTP " + s3.statusCode() + (code == null ? "" : " " + code) + ": " + firstLine(s3.getMessage());
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? firstLine(failure.getMessage())
                : firstLine(failure.getMessage()) + " (cause: " + root.getClass().getSimpleName() + ": " + firstLine(root.getMessage()) + ")";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static String seconds(long nanos) {
        return String.format("%.1f", nanos / 1e9);
    }

    private static void sleep(String what, long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException(what + " interrupted while waiting to retry", e);
        }
    }
}
