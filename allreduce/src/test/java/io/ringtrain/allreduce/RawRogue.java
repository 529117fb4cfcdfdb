package io.ringtrain.allreduce;

import io.aeron.protocol.DataHeaderFlyweight;
import io.aeron.protocol.HeaderFlyweight;
import io.aeron.protocol.SetupFlyweight;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A rogue that speaks Aeron's wire protocol from a plain UDP socket, as a hostile or confused process would: setups
 * that ask the receiver to map term buffers, and data frames carrying ringtrain frame headers (plausible ones,
 * ones with offsets far out of range, random bytes), for whatever session it likes, from an address of its
 * choice (127.0.0.2 is a second loopback address on Linux).
 */
final class RawRogue implements AutoCloseable {
    private final DatagramChannel socket;
    private final InetSocketAddress target;
    private final int streamId;
    private final Random random;
    private final ByteBuffer packet = ByteBuffer.allocateDirect(2048).order(ByteOrder.LITTLE_ENDIAN);
    private final SetupFlyweight setup = new SetupFlyweight();
    private final DataHeaderFlyweight data = new DataHeaderFlyweight();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[0]);

    RawRogue(String bindAddress, InetSocketAddress target, int streamId, long seed) throws IOException {
        this.socket = DatagramChannel.open().bind(new InetSocketAddress(bindAddress, 0));
        this.target = target;
        this.streamId = streamId;
        this.random = new Random(seed);
        setup.wrap(packet);
        data.wrap(packet);
        frame.wrap(packet);
    }

    /** A setup for {@code sessionId}: a receiver interested in it creates an image of {@code termLength} terms. */
    void sendSetup(int sessionId, int termLength) throws IOException {
        setup.termOffset(0).sessionId(sessionId).streamId(streamId).initialTermId(7).activeTermId(7).termLength(termLength)
                .mtuLength(1408).ttl(0);
        header(setup, HeaderFlyweight.HDR_TYPE_SETUP, SetupFlyweight.HEADER_LENGTH, (short) 0);
        send(SetupFlyweight.HEADER_LENGTH);
    }

    /**
     * A data frame of {@code sessionId} carrying a ringtrain frame: {@code shape} 0 is what rank {@code sender}
     * would send first in an all-reduce of {@code total} floats (with {@code token} in the reserved value), 1 the
     * same far out of range, 2 random bytes of random length.
     */
    void sendData(int sessionId, long token, int generation, int sender, int total, int shape) throws IOException {
        int payload;
        if (shape == 2) {
            payload = 1 + random.nextInt(1200);
            for (int i = 0; i < payload; i++) {
                frame.putByte(DataHeaderFlyweight.HEADER_LENGTH + i, (byte) random.nextInt());
            }
        } else {
            int count = 256;
            int offset = shape == 0 ? total - count : Integer.MAX_VALUE - 7;
            new FrameHeader().wrap(frame, DataHeaderFlyweight.HEADER_LENGTH).write(generation, sender, FrameHeader.TYPE_DATA,
                    Reduction.of(DataType.FLOAT32, ReduceOp.SUM, WireCompression.NONE).descriptor(CollectiveKind.RING_ALL_REDUCE),
                    1 + random.nextInt(4), 0, offset, count, total);
            for (int i = 0; i < count; i++) {
                frame.putFloat(DataHeaderFlyweight.HEADER_LENGTH + FrameHeader.LENGTH + i * 4, 1e6f);
            }
            payload = FrameHeader.LENGTH + count * 4;
        }
        int length = DataHeaderFlyweight.HEADER_LENGTH + payload;
        data.termOffset(32 * random.nextInt(1 << 10)).sessionId(sessionId).streamId(streamId).termId(7).reservedValue(token);
        header(data, HeaderFlyweight.HDR_TYPE_DATA, length, DataHeaderFlyweight.BEGIN_AND_END_FLAGS);
        send(length);
    }

    /** A datagram too short to be an Aeron frame. */
    void sendGarbage() throws IOException {
        frame.putInt(0, random.nextInt());
        send(4);
    }

    private static void header(HeaderFlyweight h, int type, int length, short flags) {
        h.version(HeaderFlyweight.CURRENT_VERSION);
        h.flags(flags);
        h.headerType(type);
        h.frameLength(length);
    }

    private void send(int length) throws IOException {
        packet.clear().limit(length);
        socket.send(packet, target);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
