package io.ringtrain.allreduce;

import org.agrona.UnsafeApi;

/**
 * Element loops over raw memory, addressed Unsafe-style as (base object, offset): {@code null} plus an absolute
 * address for off-heap memory (ND4J arrays, Aeron term buffers), or an array plus its byte offset. Each loop
 * reads its source once and writes its destination once; the data path has no other copies.
 */
final class ElementKernels {
    private ElementKernels() {
    }

    // float32 -------------------------------------------------------------------------------------------------

    static void sumFloat(Object dst, long dstAddr, Object src, long srcAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(dst, dstAddr + o, UnsafeApi.getFloat(dst, dstAddr + o) + UnsafeApi.getFloat(src, srcAddr + o));
        }
    }

    static void minFloat(Object dst, long dstAddr, Object src, long srcAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(dst, dstAddr + o, Math.min(UnsafeApi.getFloat(dst, dstAddr + o), UnsafeApi.getFloat(src, srcAddr + o)));
        }
    }

    static void maxFloat(Object dst, long dstAddr, Object src, long srcAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(dst, dstAddr + o, Math.max(UnsafeApi.getFloat(dst, dstAddr + o), UnsafeApi.getFloat(src, srcAddr + o)));
        }
    }

    static void scaleFloat(Object dst, long dstAddr, int count, float factor) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(dst, dstAddr + o, UnsafeApi.getFloat(dst, dstAddr + o) * factor);
        }
    }

    // float64 -------------------------------------------------------------------------------------------------

    static void sumDouble(Object dst, long dstAddr, Object src, long srcAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 3;
            UnsafeApi.putDouble(dst, dstAddr + o, UnsafeApi.getDouble(dst, dstAddr + o) + UnsafeApi.getDouble(src, srcAddr + o));
        }
    }

    static void minDouble(Object dst, long dstAddr, Object src, long srcAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 3;
            UnsafeApi.putDouble(dst, dstAddr + o, Math.min(UnsafeApi.getDouble(dst, dstAddr + o), UnsafeApi.getDouble(src, srcAddr + o)));
        }
    }

    static void maxDouble(Object dst, long dstAddr, Object src, long srcAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 3;
            UnsafeApi.putDouble(dst, dstAddr + o, Math.max(UnsafeApi.getDouble(dst, dstAddr + o), UnsafeApi.getDouble(src, srcAddr + o)));
        }
    }

    static void scaleDouble(Object dst, long dstAddr, int count, double factor) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 3;
            UnsafeApi.putDouble(dst, dstAddr + o, UnsafeApi.getDouble(dst, dstAddr + o) * factor);
        }
    }

    // Fused receive-and-forward: out = dst + in, without writing dst ------------------------------------------

    static void sumFloatTo(Object dst, long dstAddr, Object in, long inAddr, Object out, long outAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(out, outAddr + o, UnsafeApi.getFloat(dst, dstAddr + o) + UnsafeApi.getFloat(in, inAddr + o));
        }
    }

    static void sumDoubleTo(Object dst, long dstAddr, Object in, long inAddr, Object out, long outAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 3;
            UnsafeApi.putDouble(out, outAddr + o, UnsafeApi.getDouble(dst, dstAddr + o) + UnsafeApi.getDouble(in, inAddr + o));
        }
    }

    static void sumBf16To(Object dst, long dstAddr, Object in, long inAddr, Object out, long outAddr, int count) {
        for (int i = 0; i < count; i++) {
            long w = (long) i << 1;
            float sum = UnsafeApi.getFloat(dst, dstAddr + ((long) i << 2)) + fromBf16(UnsafeApi.getShort(in, inAddr + w));
            UnsafeApi.putShort(out, outAddr + w, toBf16(sum));
        }
    }

    // bfloat16 wire format, float32 accumulation --------------------------------------------------------------

    /** float32 -> bfloat16 bits, rounding to nearest even; NaN stays NaN. */
    static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    static float fromBf16(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    static void encodeBf16(Object src, long srcAddr, Object wire, long wireAddr, int count) {
        for (int i = 0; i < count; i++) {
            UnsafeApi.putShort(wire, wireAddr + ((long) i << 1), toBf16(UnsafeApi.getFloat(src, srcAddr + ((long) i << 2))));
        }
    }

    static void decodeBf16(Object wire, long wireAddr, Object dst, long dstAddr, int count) {
        for (int i = 0; i < count; i++) {
            UnsafeApi.putFloat(dst, dstAddr + ((long) i << 2), fromBf16(UnsafeApi.getShort(wire, wireAddr + ((long) i << 1))));
        }
    }

    static void sumBf16(Object dst, long dstAddr, Object wire, long wireAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(dst, dstAddr + o, UnsafeApi.getFloat(dst, dstAddr + o) + fromBf16(UnsafeApi.getShort(wire, wireAddr + ((long) i << 1))));
        }
    }

    static void minBf16(Object dst, long dstAddr, Object wire, long wireAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(dst, dstAddr + o, Math.min(UnsafeApi.getFloat(dst, dstAddr + o), fromBf16(UnsafeApi.getShort(wire, wireAddr + ((long) i << 1)))));
        }
    }

    static void maxBf16(Object dst, long dstAddr, Object wire, long wireAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(dst, dstAddr + o, Math.max(UnsafeApi.getFloat(dst, dstAddr + o), fromBf16(UnsafeApi.getShort(wire, wireAddr + ((long) i << 1)))));
        }
    }

    /** Rounds float32 values to the nearest bfloat16-representable value, in place. */
    static void roundToBf16(Object dst, long dstAddr, int count) {
        for (int i = 0; i < count; i++) {
            long o = (long) i << 2;
            UnsafeApi.putFloat(dst, dstAddr + o, fromBf16(toBf16(UnsafeApi.getFloat(dst, dstAddr + o))));
        }
    }

    static void copy(Object src, long srcAddr, Object dst, long dstAddr, long bytes) {
        UnsafeApi.copyMemory(src, srcAddr, dst, dstAddr, bytes);
    }
}
