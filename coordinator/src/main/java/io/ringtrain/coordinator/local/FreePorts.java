package io.ringtrain.coordinator.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Distinct free UDP ports on a host, for the workers' data planes. */
final class FreePorts {

    private FreePorts() {
    }

    /** Holds every socket open until all are picked, so the ports are distinct; another process may still take one afterwards. */
    static List<Integer> udp(String host, int count) {
        List<DatagramSocket> sockets = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress(host, 0));
                sockets.add(socket);
                ports.add(socket.getLocalPort());
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find " + count + " free UDP ports on " + host, e);
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }
}
