package io.ringtrain.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of the S3 server that injects real network faults: "503 Slow Down"
 * answers, connection resets, and outages (every connection reset) until told to recover.
 * Arming a fault drops the live connections so the client's next request meets it.
 */
final class FlakyProxy implements AutoCloseable {
    private static final byte[] SLOW_DOWN_BODY = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
            + "<Message>Please reduce your request rate.</Message><RequestId>flaky-proxy</RequestId></Error>").getBytes(StandardCharsets.UTF_8);

    private final ServerSocket server;
    private final int upstreamPort;
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "flaky-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger slowDownNext = new AtomicInteger();
    private final AtomicInteger resetNext = new AtomicInteger();
    private volatile boolean down;
    final AtomicInteger faultsServed = new AtomicInteger();

    FlakyProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(this::accept);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    void slowDownNext(int requests) {
        slowDownNext.set(requests);
        dropLiveConnections();
    }

    void resetNext(int connections) {
        resetNext.set(connections);
        dropLiveConnections();
    }

    void goDown() {
        down = true;
        dropLiveConnections();
    }

    void comeBack() {
        down = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.submit(() -> handle(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void handle(Socket client) {
        try {
            if (down || take(resetNext)) {
                faultsServed.incrementAndGet();
                reset(client);
            } else if (take(slowDownNext)) {
                faultsServed.incrementAndGet();
                answerSlowDown(client);
            } else {
                pipe(client);
            }
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    private static boolean take(AtomicInteger counter) {
        return counter.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    private void answerSlowDown(Socket client) throws IOException {
        try (client) {
            client.setSoTimeout(5_000);
            InputStream in = client.getInputStream();
            // Read the request head up to its blank line; the client waits for our answer before sending a body.
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            OutputStream out = client.getOutputStream();
            out.write(("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: " + SLOW_DOWN_BODY.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(SLOW_DOWN_BODY);
            out.flush();
            client.shutdownOutput();
        }
    }

    private void pipe(Socket client) throws IOException {
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
        live.add(client);
        live.add(upstream);
        threads.submit(() -> copy(client, upstream));
        copy(upstream, client);
    }

    private void copy(Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
            }
        } catch (IOException ignored) {
            // One side closed or was dropped.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            live.remove(from);
            live.remove(to);
        }
    }

    private void dropLiveConnections() {
        for (Socket socket : live) {
            reset(socket);
        }
        live.clear();
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // Already closed.
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing to do.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        dropLiveConnections();
        threads.shutdownNow();
    }
}
