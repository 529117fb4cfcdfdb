package io.ringtrain.worker.train;

/**
 * Told when a parameter's gradient sum is final for the step, so that the data plane can start
 * all-reducing a bucket as soon as all of its tensors are in. Implemented by the worker.
 *
 * <p>Called on the training thread, once per parameter per step, in the order the backward pass
 * produces gradients (any order). From that call until the next step's gradients are computed,
 * the tensor's bytes in the gradient arena are not written by the model. An implementation that
 * lets another thread read those bytes must hand the report over with a happens-before edge
 * (a concurrent queue, a volatile counter), as for any memory shared between threads.
 */
@FunctionalInterface
public interface GradientSink {

    /** Ignores every report: for a single process, or a worker that reduces the whole arena at once. */
    GradientSink NONE = tensorIndex -> { };

    /** @param tensorIndex index into {@code ModelState.gradients().layout()} */
    void ready(int tensorIndex);
}
