package io.ringtrain.checkpoint;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;

/**
 * Settings of an {@link S3Store}. Unset values come from the URI's query
 * ({@code ?endpoint=…&region=…}), then the environment ({@code AWS_ENDPOINT_URL_S3},
 * {@code AWS_ENDPOINT_URL}, {@code AWS_REGION}, the AWS profile), then the defaults below.
 * Credentials come from the AWS default chain (environment variables, system properties, profile,
 * container/instance roles) unless set here.
 */
public final class S3StoreContext {
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    public static final long MAX_PART_SIZE = 1L << 30; // parts are ByteBuffer slices, so below 2 GiB
    public static final long DEFAULT_PART_SIZE = 32L * 1024 * 1024;
    public static final int DEFAULT_UPLOAD_PARALLELISM = 4;
    public static final Duration DEFAULT_RETRY_BUDGET = Duration.ofSeconds(60);
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(60);
    /** Used when an endpoint is given but no region: S3-compatible servers mostly ignore it. */
    public static final Region DEFAULT_COMPATIBLE_REGION = Region.US_EAST_1;

    private StoreUri location;
    private URI endpoint;
    private Region region;
    private AwsCredentialsProvider credentials;
    private long partSize = DEFAULT_PART_SIZE;
    private int uploadParallelism = DEFAULT_UPLOAD_PARALLELISM;
    private Duration retryBudget = DEFAULT_RETRY_BUDGET;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration socketTimeout = DEFAULT_SOCKET_TIMEOUT;
    private boolean concluded;

    /** The root: {@code s3://bucket/prefix}, optionally with {@code ?endpoint=…&region=…}. */
    public S3StoreContext uri(String uri) {
        return location(StoreUri.parse(uri));
    }

    S3StoreContext location(StoreUri location) {
        this.location = location;
        return this;
    }

    StoreUri location() {
        return location;
    }

    /** An S3-compatible server, e.g. {@code http://127.0.0.1:9000}; implies path-style addressing. */
    public S3StoreContext endpoint(URI endpoint) {
        this.endpoint = endpoint;
        return this;
    }

    public URI endpoint() {
        return endpoint;
    }

    public S3StoreContext region(Region region) {
        this.region = region;
        return this;
    }

    public Region region() {
        return region;
    }

    public S3StoreContext credentials(AwsCredentialsProvider credentials) {
        this.credentials = credentials;
        return this;
    }

    public AwsCredentialsProvider credentials() {
        return credentials;
    }

    /** Objects larger than this go up as multipart uploads of parts this size. */
    public S3StoreContext partSize(long partSize) {
        this.partSize = partSize;
        return this;
    }

    public long partSize() {
        return partSize;
    }

    /** Parts uploaded at once, across all puts of this store. */
    public S3StoreContext uploadParallelism(int uploadParallelism) {
        this.uploadParallelism = uploadParallelism;
        return this;
    }

    public int uploadParallelism() {
        return uploadParallelism;
    }

    /** Total time one call may spend retrying transient failures before it fails. */
    public S3StoreContext retryBudget(Duration retryBudget) {
        this.retryBudget = retryBudget;
        return this;
    }

    public Duration retryBudget() {
        return retryBudget;
    }

    public S3StoreContext initialBackoff(Duration initialBackoff) {
        this.initialBackoff = initialBackoff;
        return this;
    }

    public Duration initialBackoff() {
        return initialBackoff;
    }

    public S3StoreContext maxBackoff(Duration maxBackoff) {
        this.maxBackoff = maxBackoff;
        return this;
    }

    public Duration maxBackoff() {
        return maxBackoff;
    }

    public S3StoreContext connectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
        return this;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Longest silence on an open connection before the attempt fails (and is retried). */
    public S3StoreContext socketTimeout(Duration socketTimeout) {
        this.socketTimeout = socketTimeout;
        return this;
    }

    public Duration socketTimeout() {
        return socketTimeout;
    }

    String endpointDescription() {
        return endpoint == null ? "AWS S3 (" + region + ")" : endpoint.toString();
    }

    /** Validates every setting and fills in the derived ones; idempotent. */
    public S3StoreContext conclude() {
        if (concluded) {
            return this;
        }
        if (location == null || !location.isS3()) {
            throw new CheckpointException("S3 store needs an s3://bucket/prefix location, got " + location);
        }
        if (endpoint == null) {
            String fromUri = location.query().get("endpoint");
            String fromEnv = firstNonBlank(System.getenv("AWS_ENDPOINT_URL_S3"), System.getenv("AWS_ENDPOINT_URL"));
            String text = fromUri != null ? fromUri : fromEnv;
            if (text != null) {
                endpoint = parseEndpoint(text);
            }
        } else {
            endpoint = parseEndpoint(endpoint.toString());
        }
        if (region == null && location.query().containsKey("region")) {
            region = Region.of(location.query().get("region"));
        }
        if (region == null) {
            region = regionFromEnvironment();
        }
        if (credentials == null) {
            credentials = DefaultCredentialsProvider.builder().build();
        }
        requireRange("partSize", partSize, MIN_PART_SIZE, MAX_PART_SIZE);
        requireRange("uploadParallelism", uploadParallelism, 1, 64);
        requirePositive("retryBudget", retryBudget);
        requirePositive("initialBackoff", initialBackoff);
        requirePositive("maxBackoff", maxBackoff);
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("socketTimeout", socketTimeout);
        concluded = true;
        return this;
    }

    private Region regionFromEnvironment() {
        try {
            // No instance-metadata lookup: it would stall for seconds off EC2.
            return new AwsRegionProviderChain(new SystemSettingsRegionProvider(), new AwsProfileRegionProvider()).getRegion();
        } catch (SdkClientException e) {
            if (endpoint != null) {
                return DEFAULT_COMPATIBLE_REGION;
            }
            throw new CheckpointException("no AWS region for " + location + ": set AWS_REGION, add ?region=<name> to the URI, "
                    + "or set it in the AWS profile", e);
        }
    }

    private URI parseEndpoint(String text) {
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException("S3 endpoint '" + text + "' is not a URL: write http(s)://host:port", e);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
            throw new CheckpointException("S3 endpoint '" + text + "' must be http://host:port or https://host:port");
        }
        return uri;
    }

    private static String firstNonBlank(String a, String b) {
        return a != null && !a.isBlank() ? a : b != null && !b.isBlank() ? b : null;
    }

    private static void requireRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new CheckpointException("S3 store setting " + name + " = " + value + " is outside [" + min + ", " + max + "]");
        }
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new CheckpointException("S3 store setting " + name + " must be a positive duration, got " + value);
        }
    }
}
