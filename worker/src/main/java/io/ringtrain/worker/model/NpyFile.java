package io.ringtrain.worker.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parameter export as a NumPy {@code .npy} file (format 1.0): a 1-D little-endian float32
 * ({@code <f4}) array holding every parameter, row-major, concatenated in declaration order, i.e.
 * exactly the parameter prefix of {@link ModelState#state()}. Read it with
 * {@code numpy.load(path)}; split it with the model's parameter shapes.
 */
public final class NpyFile {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int PREAMBLE = MAGIC.length + 2 + 2; // magic, version, header length
    private static final int ALIGNMENT = 64;
    private static final Pattern HEADER = Pattern.compile(
            "\\{\\s*'descr'\\s*:\\s*'([^']*)'\\s*,\\s*'fortran_order'\\s*:\\s*(True|False)\\s*,"
                    + "\\s*'shape'\\s*:\\s*\\(([^)]*)\\)\\s*,?\\s*}\\s*");

    private NpyFile() {
    }

    /**
     * Writes the model's parameters. The file appears atomically: it is written next to
     * {@code path} under a temporary name and renamed, so a crash never leaves half a file.
     */
    public static void writeParameters(Path path, ModelState model) throws IOException {
        final ByteBuffer source = model.state().bytes().limit(Math.toIntExact(model.parameterBytes()));
        final long count = model.parameterCount();
        final ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(count * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        if (model.precision() == ElementType.FLOAT32) {
            data.asFloatBuffer().put(source.asFloatBuffer());
        } else {
            final FloatBuffer out = data.asFloatBuffer();
            final var in = source.asDoubleBuffer();
            while (in.hasRemaining()) {
                out.put((float) in.get());
            }
        }
        write(path, data, count);
    }

    /** Writes {@code values} as a 1-D float32 array. */
    public static void write(Path path, float[] values) throws IOException {
        final ByteBuffer data = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        write(path, data, values.length);
    }

    /** Reads a 1-D {@code <f4} file written by {@link #writeParameters} (or NumPy). */
    public static float[] read(Path path) throws IOException {
        final byte[] bytes = Files.readAllBytes(path);
        final ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : MAGIC) {
            if (in.remaining() == 0 || in.get() != b) {
                throw new IOException(path + " is not a .npy file (bad magic)");
            }
        }
        final int major = in.get() & 0xFF;
        in.get();
        if (major != 1) {
            throw new IOException(path + ": .npy format version " + major + ".x is not supported (only 1.0)");
        }
        final int headerLength = in.getShort() & 0xFFFF;
        if (in.remaining() < headerLength) {
            throw new IOException(path + ": truncated .npy header");
        }
        final String header = new String(bytes, PREAMBLE, headerLength, StandardCharsets.ISO_8859_1);
        final Matcher m = HEADER.matcher(header);
        if (!m.matches()) {
            throw new IOException(path + ": unrecognised .npy header: " + header.strip());
        }
        if (!m.group(1).equals("<f4") || m.group(2).equals("True")) {
            throw new IOException(path + ": expected a C-order little-endian float32 array ('<f4'), found descr '"
                    + m.group(1) + "', fortran_order " + m.group(2));
        }
        final String[] dims = m.group(3).split(",");
        if (dims.length < 1 || dims.length > 2 || (dims.length == 2 && !dims[1].isBlank())) {
            throw new IOException(path + ": expected a 1-D array, found shape (" + m.group(3) + ")");
        }
        final long count = Long.parseLong(dims[0].strip());
        in.position(PREAMBLE + headerLength);
        if (in.remaining() != count * Float.BYTES) {
            throw new IOException(path + ": header says " + count + " floats but the file holds "
                    + in.remaining() + " data bytes");
        }
        final float[] values = new float[Math.toIntExact(count)];
        in.asFloatBuffer().get(values);
        return values;
    }

    private static void write(Path path, ByteBuffer data, long count) throws IOException {
        final String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + count + ",), }";
        final int unpadded = PREAMBLE + dict.length() + 1; // + '\n'
        final int padded = (unpadded + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        final String header = dict + " ".repeat(padded - unpadded) + "\n";
        final ByteBuffer preamble = ByteBuffer.allocate(PREAMBLE + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        preamble.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        preamble.put(header.getBytes(StandardCharsets.ISO_8859_1)).flip();

        final Path absolute = path.toAbsolutePath();
        final Path directory = absolute.getParent();
        if (directory != null) {
            Files.createDirectories(directory);
        }
        final Path temporary = Files.createTempFile(directory, absolute.getFileName() + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                data.rewind();
                while (preamble.hasRemaining() || data.hasRemaining()) {
                    channel.write(new ByteBuffer[] {preamble, data});
                }
                channel.force(true);
            }
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
