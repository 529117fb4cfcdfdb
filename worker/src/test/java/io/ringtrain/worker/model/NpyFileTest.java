package io.ringtrain.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyFileTest {
    @TempDir
    Path directory;

    @Test
    void exportHoldsAllParametersInDeclarationOrderAndReadsBack() throws IOException {
        final ModelState state = ModelState.allocate(List.of(
                ParameterSpec.of("w", Initializer.normal(1), 2, 3),
                ParameterSpec.of("b", Initializer.normal(1), 3)), List.of("velocity"), ElementType.FLOAT32);
        state.initialize(4);
        state.optimizerState().assign(99); // optimizer state must not leak into the export

        final Path file = directory.resolve("out/params.npy");
        NpyFile.writeParameters(file, state);
        final float[] read = NpyFile.read(file);

        final float[] expected = new float[9];
        System.arraycopy(state.parameter("w").ravel().toFloatVector(), 0, expected, 0, 6);
        System.arraycopy(state.parameter("b").toFloatVector(), 0, expected, 6, 3);
        assertArrayEquals(expected, read);
        try (var listing = Files.list(file.getParent())) {
            assertEquals(List.of(file), listing.toList(), "no temporary files left behind");
        }
    }

    @Test
    void headerIsNumpyFormatOnePointZeroAlignedToSixtyFourBytes() throws IOException {
        final Path file = directory.resolve("v.npy");
        NpyFile.write(file, new float[] {1.5f, -2f, 3f});
        final byte[] bytes = Files.readAllBytes(file);
        final ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals((byte) 0x93, in.get());
        assertEquals("NUMPY", new String(bytes, 1, 5, StandardCharsets.US_ASCII));
        assertEquals(1, bytes[6]);
        assertEquals(0, bytes[7]);
        final int headerLength = in.getShort(8);
        assertEquals(0, (10 + headerLength) % 64);
        final String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), header);
        assertTrue(header.endsWith("\n"));
        assertEquals(10 + headerLength + 12, bytes.length);
        assertEquals(-2f, in.getFloat(10 + headerLength + 4));
    }

    @Test
    void float64StateIsExportedAsFloat32() throws IOException {
        final ModelState state = ModelState.allocate(List.of(ParameterSpec.of("w", Initializer.constant(0.1), 2)),
                List.of(), ElementType.FLOAT64);
        state.initialize(1);
        final Path file = directory.resolve("d.npy");
        NpyFile.writeParameters(file, state);
        assertArrayEquals(new float[] {0.1f, 0.1f}, NpyFile.read(file));
    }

    @Test
    void readerRejectsOtherDtypesWithAClearMessage() throws IOException {
        final Path file = directory.resolve("f8.npy");
        NpyFile.write(file, new float[] {1});
        final byte[] bytes = Files.readAllBytes(file);
        final String patched = new String(bytes, StandardCharsets.ISO_8859_1).replace("<f4", "<f8");
        Files.write(file, patched.getBytes(StandardCharsets.ISO_8859_1));
        final IOException e = assertThrows(IOException.class, () -> NpyFile.read(file));
        assertTrue(e.getMessage().contains("'<f8'"), e.getMessage());

        final Path notNpy = Files.writeString(directory.resolve("x.npy"), "hello");
        assertTrue(assertThrows(IOException.class, () -> NpyFile.read(notNpy)).getMessage().contains("not a .npy"));
    }
}
