package io.ringtrain.allreduce;

import io.aeron.driver.DataPacketDispatcher;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ReceiveChannelEndpointSupplier;
import io.aeron.driver.media.ReceiveChannelEndpoint;
import io.aeron.driver.media.UdpChannel;
import io.aeron.protocol.DataHeaderFlyweight;
import io.aeron.protocol.RttMeasurementFlyweight;
import io.aeron.protocol.SetupFlyweight;
import java.net.InetSocketAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A fence in front of an embedded media driver's receiver: a packet reaches Aeron only if the current generation
 * expects its session from its source (see {@link Admission}). Everything else is counted and dropped before Aeron
 * looks at it, so a stranger cannot make the driver create an image (and map term buffers in /dev/shm), cannot add
 * its packets to a peer's stream, and cannot grow the driver's table of sessions it has seen.
 *
 * <p>Only for drivers this process embeds; ranks on a {@link SharedDriver} rely on session-specific subscriptions
 * and the checks in {@link Inbox} instead.
 */
final class ReceiveGate {
    private final DropCounters drops;
    private volatile Admission admission = Admission.NOBODY;

    ReceiveGate(DropCounters drops) {
        this.drops = drops;
    }

    /** From now on only what {@code next} admits gets through. */
    void admit(Admission next) {
        admission = next;
    }

    ReceiveChannelEndpointSupplier endpointSupplier() {
        return (channel, dispatcher, status, context) -> new GatedEndpoint(channel, dispatcher, status, context, this);
    }

    private boolean passes(int sessionId, InetSocketAddress source, boolean setup) {
        DropReason refused = admission.check(sessionId, source, setup);
        if (refused != null) {
            drops.count(refused);
            return false;
        }
        return true;
    }

    private static final class GatedEndpoint extends ReceiveChannelEndpoint {
        private final ReceiveGate gate;

        GatedEndpoint(UdpChannel channel, DataPacketDispatcher dispatcher, AtomicCounter status, MediaDriver.Context context,
                      ReceiveGate gate) {
            super(channel, dispatcher, status, context);
            this.gate = gate;
        }

        @Override
        public int onDataPacket(DataHeaderFlyweight header, UnsafeBuffer buffer, int length, InetSocketAddress source,
                                int transportIndex) {
            return gate.passes(header.sessionId(), source, false)
                    ? super.onDataPacket(header, buffer, length, source, transportIndex) : 0;
        }

        @Override
        public void onSetupMessage(SetupFlyweight header, UnsafeBuffer buffer, int length, InetSocketAddress source,
                                   int transportIndex) {
            if (gate.passes(header.sessionId(), source, true)) {
                super.onSetupMessage(header, buffer, length, source, transportIndex);
            }
        }

        @Override
        public void onRttMeasurement(RttMeasurementFlyweight header, UnsafeBuffer buffer, int length,
                                     InetSocketAddress source, int transportIndex) {
            if (gate.passes(header.sessionId(), source, false)) {
                super.onRttMeasurement(header, buffer, length, source, transportIndex);
            }
        }
    }
}
