package io.ringtrain.coordinator.launch;

import java.util.List;
import java.util.Map;

/**
 * One training run as its spec file describes it ({@code apiVersion: ringtrain.io/v1alpha1}, {@code kind: TrainingRun}),
 * with every default filled in and every value checked: {@link TrainingRunReader} makes these, {@link RunRenderer}
 * turns one into Kubernetes objects. The defaults live here and nowhere else.
 *
 * @param name        the run's name: its objects' instance label and name prefix, and its directory under the checkpoint URI
 * @param namespace   empty: the one {@code --namespace} or the kubeconfig context says
 * @param labels      extra labels on every object and pod of the run (a Kueue queue name, a team)
 * @param annotations extra annotations on every object and pod of the run
 */
public record TrainingRun(String name, String namespace, Map<String, String> labels, Map<String, String> annotations, Spec spec) {

    public static final String API_VERSION = "ringtrain.io/v1alpha1";
    public static final String KIND = "TrainingRun";

    public static final String DEFAULT_IMAGE_PULL_POLICY = "IfNotPresent";
    public static final long DEFAULT_STEPS = 300;
    public static final int DEFAULT_GLOBAL_BATCH = 256;
    public static final String DEFAULT_OPTIMIZER = "sgd";
    /** 0: the optimizer's own default (sgd 0.05, adam 0.003). */
    public static final double DEFAULT_LEARNING_RATE = 0;
    public static final long DEFAULT_SEED = 1;
    public static final int DEFAULT_WORKERS = 4;
    public static final String DEFAULT_WORKER_CPU = "2";
    public static final String DEFAULT_WORKER_MEMORY = "4Gi";
    public static final String DEFAULT_COORDINATOR_CPU = "500m";
    public static final String DEFAULT_COORDINATOR_MEMORY = "1Gi";
    public static final String DEFAULT_CHECKPOINT_URI = "s3://ringtrain-checkpoints/runs";
    public static final long DEFAULT_CHECKPOINT_EVERY = 50;
    public static final int DEFAULT_CHECKPOINT_KEEP = 3;
    public static final String DEFAULT_RESUME = "auto";
    public static final String DEFAULT_S3_REGION = "us-east-1";
    public static final int DEFAULT_DATA_PLANE_PORT = 40100;
    public static final String DEFAULT_TERM_LENGTH = "4Mi";
    public static final String DEFAULT_THREADING = "INVOKER";
    public static final String DEFAULT_IDLE_STRATEGY = "adaptive";

    public TrainingRun {
        labels = Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
    }

    /**
     * @param image             the ringtrain image (the coordinator's, and the workers' unless {@link Workers#image} says otherwise)
     * @param modelOptions      model- or session-specific settings ({@code -O key=value})
     * @param learningRate      0: the optimizer's default
     * @param priorityClassName empty: the cluster's default priority
     */
    public record Spec(String image, String imagePullPolicy, String model, Map<String, String> modelOptions, long steps,
                       int globalBatch, String optimizer, double learningRate, long seed, String priorityClassName,
                       Workers workers, Coordinator coordinator, Checkpoints checkpoints, DataPlane dataPlane) {
        public Spec {
            modelOptions = Map.copyOf(modelOptions);
        }
    }

    /**
     * @param replicas the worker StatefulSet's replicas: the world size the run starts with
     * @param min      the run trains while at least this many workers are live, and pauses below
     * @param max      the most workers the coordinator takes into the ring
     * @param image    the workers' image (e.g. a CUDA build on GPU nodes)
     */
    public record Workers(int replicas, int min, int max, String image, Resources resources, Placement placement) {
    }

    public record Coordinator(Resources resources, Placement placement) {
    }

    /**
     * @param cpu    a Kubernetes quantity; workers: whole cores (they size ND4J's OpenMP pool)
     * @param memory a Kubernetes quantity: request and limit; the JVM's heap and buffers are sized from it
     * @param gpus   {@code nvidia.com/gpu} per pod
     */
    public record Resources(String cpu, String memory, int gpus) {
    }

    /** Where pods may be scheduled. */
    public record Placement(Map<String, String> nodeSelector, List<Toleration> tolerations) {
        public Placement {
            nodeSelector = Map.copyOf(nodeSelector);
            tolerations = List.copyOf(tolerations);
        }

        static Placement none() {
            return new Placement(Map.of(), List.of());
        }
    }

    /** A Kubernetes toleration; empty strings and a null {@code seconds} are left out. */
    public record Toleration(String key, String operator, String value, String effect, Long seconds) {
    }

    /**
     * @param uri    {@code s3://bucket/prefix}: the run's checkpoints go under {@code <uri>/<name>/}
     * @param every  a checkpoint every this many steps; 0: never
     * @param keep   the newest this many valid checkpoints are kept
     * @param resume where a (re)started coordinator begins: auto, always or never
     */
    public record Checkpoints(String uri, long every, int keep, String resume, S3 s3) {
    }

    /**
     * @param secret   a Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; empty: none (workload identity,
     *                 IRSA, an instance profile: the AWS SDK's default chain)
     * @param endpoint an S3-compatible endpoint (path-style access); empty: AWS S3
     */
    public record S3(String secret, String endpoint, String region) {
    }

    /**
     * @param termLength Aeron term length in bytes (a power of two); sizes /dev/shm
     * @param mtu        0: Aeron's default for the network
     * @param threading  the media driver's threading: INVOKER, SHARED or DEDICATED
     */
    public record DataPlane(int port, int termLength, int mtu, String threading, String idleStrategy) {
    }
}
