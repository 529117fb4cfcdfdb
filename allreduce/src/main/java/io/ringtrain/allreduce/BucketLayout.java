package io.ringtrain.allreduce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Groups the tensors of one contiguous buffer into {@link FusionBucket}s, last tensor first: backward produces
 * gradients from the output layer back, so the last tensors are ready first and their bucket should go first.
 * A bucket is a run of tensors that lie back to back in the buffer (so it can be reduced in place with no
 * packing copy), no larger than the bucket size unless it is one tensor. Empty tensors own no bytes and join
 * whichever bucket is open.
 */
final class BucketLayout {
    private BucketLayout() {
    }

    static List<FusionBucket> of(List<TensorRange> tensors, int bufferCapacity, FusionContext ctx) {
        validate(tensors, bufferCapacity, ctx.dataType());
        List<FusionBucket> buckets = new ArrayList<>();
        int last = -1; // the open bucket spans tensors first..last; -1 when none is open
        int first = -1;
        long start = 0;
        long end = 0;
        for (int i = tensors.size() - 1; i >= 0; i--) {
            TensorRange t = tensors.get(i);
            boolean empty = t.byteLength() == 0;
            boolean joins = last >= 0 && (empty || end == start || (t.endOffset() == start && ctx.fits(end - start, t.byteLength())));
            if (!joins) {
                if (last >= 0) {
                    buckets.add(new FusionBucket(buckets.size(), first, last, (int) start, (int) (end - start)));
                }
                last = i;
                start = t.byteOffset();
                end = t.byteOffset();
            }
            first = i;
            if (!empty) {
                if (end == start) {
                    end = t.endOffset();
                }
                start = t.byteOffset();
            }
        }
        if (last >= 0) {
            buckets.add(new FusionBucket(buckets.size(), first, last, (int) start, (int) (end - start)));
        }
        return List.copyOf(buckets);
    }

    private static void validate(List<TensorRange> tensors, int capacity, DataType type) {
        if (tensors == null) {
            throw new IllegalArgumentException("tensors must not be null (pass an empty list for no tensors)");
        }
        for (int i = 0; i < tensors.size(); i++) {
            TensorRange t = tensors.get(i);
            if (t == null) {
                throw new IllegalArgumentException("tensor #" + i + " is null");
            }
            if (t.type() != type) {
                throw new IllegalArgumentException("tensor #" + i + " " + t + " is " + t.type() + " but this plan fuses "
                        + type + " tensors (FusionContext.dataType): one plan reduces one element type, so make one"
                        + " plan per type");
            }
            if (t.endOffset() > capacity) {
                throw new IllegalArgumentException("tensor #" + i + " " + t + " lies outside the buffer of " + capacity
                        + " bytes");
            }
        }
        Integer[] byOffset = new Integer[tensors.size()];
        Arrays.setAll(byOffset, i -> i);
        Arrays.sort(byOffset, Comparator.comparingLong(i -> tensors.get(i).byteOffset()));
        int previous = -1;
        for (int i : byOffset) {
            TensorRange t = tensors.get(i);
            if (t.byteLength() == 0) {
                continue;
            }
            if (previous >= 0 && tensors.get(previous).endOffset() > t.byteOffset()) {
                throw new IllegalArgumentException("tensors #" + previous + " " + tensors.get(previous) + " and #" + i + " "
                        + t + " overlap: each byte of the buffer may belong to one tensor only");
            }
            previous = i;
        }
    }
}
