package io.ringtrain.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.Replica;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ArenaTest {

    @Test
    void tensorsArePackedInOrderAndIntegersAreAligned() {
        final Arena arena = Arena.builder(ElementType.FLOAT32)
                .add("w", 2, 3).add("b", 3).add("steps", ElementType.INT64).add("after", 1).build();
        assertEquals(List.of(
                new TensorLayout("w", ElementType.FLOAT32, new long[] {2, 3}, 0, 24),
                new TensorLayout("b", ElementType.FLOAT32, new long[] {3}, 24, 12),
                new TensorLayout("steps", ElementType.INT64, new long[] {}, 40, 8), // 36 rounded up to 8
                new TensorLayout("after", ElementType.FLOAT32, new long[] {1}, 48, 4)), arena.layout());
        assertEquals(52, arena.byteLength());
    }

    @Test
    void byteBufferIsAZeroCopyViewOfTheTensors() {
        final Arena arena = Arena.builder(ElementType.FLOAT32).add("a", 4).add("m", 2, 2).build();
        final ByteBuffer bytes = arena.bytes();
        assertTrue(bytes.isDirect());
        assertEquals(ByteOrder.nativeOrder(), bytes.order());
        assertEquals(arena.address(), new BytePointer(bytes).address(), "the buffer must start at the arena");

        bytes.putFloat(16 + 3 * 4, 7.5f); // m[1][1]
        assertEquals(7.5f, arena.view("m").getFloat(1, 1));

        arena.view("a").putScalar(2, -3.25f);
        assertEquals(-3.25f, arena.bytes().getFloat(2 * 4));
    }

    @Test
    void inPlaceOpsWriteThroughTheViewsAndNeverMoveThem() {
        final Arena arena = Arena.builder(ElementType.FLOAT32).add("x", 2, 3).add("y", 3, 2).add("z", 2, 2).build();
        arena.view("x").assign(Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}}));
        arena.view("y").assign(Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}, {1, 1}}));
        final INDArray z = arena.view("z");
        Nd4j.gemm(arena.view("x"), arena.view("y"), z, false, false, 1.0, 0.0);
        z.addi(1).muli(2);

        assertTrue(z == arena.view("z"));
        final ByteBuffer bytes = arena.bytes();
        final long zOffset = arena.tensor("z").byteOffset();
        final float[] expected = {10, 12, 22, 24}; // ((x y) + 1) * 2
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], bytes.getFloat((int) zOffset + 4 * i), "z element " + i);
        }
    }

    @Test
    void rawAddressWritesAreSeenByTheViewsAsTheDataPlaneWillDo() {
        final Arena arena = Arena.builder(ElementType.FLOAT32).add("g", 100).build();
        final UnsafeBuffer wire = new UnsafeBuffer(arena.address(), Math.toIntExact(arena.byteLength()));
        for (int i = 0; i < 100; i++) {
            wire.putFloat(4 * i, i * 0.5f, ByteOrder.nativeOrder());
        }
        assertEquals(49.5f, arena.view("g").getFloat(99));
        assertEquals(2475.0, arena.view("g").sumNumber().doubleValue(), 1e-3);
    }

    @Test
    void viewsStillAliasTheArenasAfterTraining() {
        final Replica replica = Replica.create(ModelRegistry.create("mlp", 3), io.ringtrain.worker.optim.Optimizers.byName("adam"), 3, 64);
        final ModelState state = replica.state();
        final long stateAddress = state.state().address();
        final long gradientAddress = state.gradients().address();
        for (int i = 0; i < 5; i++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        assertEquals(stateAddress, state.state().address());
        assertEquals(gradientAddress, state.gradients().address());

        final UnsafeBuffer stateWire = new UnsafeBuffer(state.state().address(), (int) state.state().byteLength());
        final UnsafeBuffer gradientWire = new UnsafeBuffer(state.gradients().address(), (int) state.gradients().byteLength());
        for (TensorLayout t : state.gradients().layout()) {
            final float[] parameterFromBytes = new float[(int) t.elementCount()];
            final float[] gradientFromBytes = new float[(int) t.elementCount()];
            for (int i = 0; i < parameterFromBytes.length; i++) {
                parameterFromBytes[i] = stateWire.getFloat((int) t.byteOffset() + 4 * i, ByteOrder.nativeOrder());
                gradientFromBytes[i] = gradientWire.getFloat((int) t.byteOffset() + 4 * i, ByteOrder.nativeOrder());
            }
            assertArrayEquals(parameterFromBytes, state.parameter(t.name()).ravel().toFloatVector(), t.name());
            assertArrayEquals(gradientFromBytes, state.gradient(t.name()).ravel().toFloatVector(), t.name());
        }
        assertTrue(state.flatGradients().amaxNumber().doubleValue() > 0, "gradients were computed");
    }

    @Test
    void aDifferentSavedLayoutIsRefusedNamingTheFirstDifference() {
        final Arena arena = Arena.builder(ElementType.FLOAT32).add("w", 2, 3).add("b", 3).build();
        arena.requireLayout(Arena.builder(ElementType.FLOAT32).add("w", 2, 3).add("b", 3).build().layout());
        final var e = assertThrows(IllegalArgumentException.class, () -> arena.requireLayout(
                Arena.builder(ElementType.FLOAT32).add("w", 3, 2).add("b", 3).build().layout()));
        assertTrue(e.getMessage().contains("tensor #0 was w FLOAT32[3, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> arena.requireLayout(arena.layout().subList(0, 1)));
    }

    @Test
    void unknownTensorNamesListWhatExists() {
        final Arena arena = Arena.builder(ElementType.FLOAT32).add("w1", 2).add("b1", 2).build();
        final var e = assertThrows(IllegalArgumentException.class, () -> arena.view("w2"));
        assertTrue(e.getMessage().contains("[w1, b1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Arena.builder(ElementType.FLOAT32).add("w", 2).add("w", 3));
    }
}
