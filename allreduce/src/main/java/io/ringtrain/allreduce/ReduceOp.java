package io.ringtrain.allreduce;

/** How an all-reduce combines the ranks' elements. */
public enum ReduceOp {
    SUM,
    /** SUM divided by the world size, applied once by the rank that finishes each segment. */
    AVG,
    MIN,
    MAX
}
