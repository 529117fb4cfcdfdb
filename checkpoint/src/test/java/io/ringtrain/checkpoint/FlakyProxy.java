package io.ringtrain.checkpoint;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An HTTP proxy in front of the S3 server that injects real network faults into the requests a rule matches: an
 * error answer (503 Slow Down, 500, 429, 403, 404…), a connection reset before the request reaches the server, a
 * reset part-way through the request body or the response body, or a stall (the request is read and never
 * answered, so the client's socket timeout fires); and outages (every connection reset) until told to recover.
 * Every request is recorded. Each response is passed through with {@code Connection: close}, so every request comes
 * on a connection of its own and meets the rules (responses are not signed; requests are passed on unchanged but
 * for that hop-by-hop header, which SigV4 does not sign).
 */
final class FlakyProxy implements AutoCloseable {

    /** One request as the client sent it: method, path (no query) and query string ("" if none). */
    record Request(String method, String path, String query) {
        /** An UploadPart of part {@code number}. */
        boolean isPart(int number) {
            return method.equals("PUT") && List.of(query.split("&")).contains("partNumber=" + number);
        }

        /** An AbortMultipartUpload. */
        boolean isAbort() {
            return method.equals("DELETE") && List.of(query.split("&")).stream().anyMatch(p -> p.startsWith("uploadId="));
        }

        boolean isGetOf(String keySuffix) {
            return method.equals("GET") && path.endsWith(keySuffix);
        }

        boolean isPutOf(String keySuffix) {
            return method.equals("PUT") && path.endsWith(keySuffix) && query.isEmpty();
        }

        @Override
        public String toString() {
            return method + " " + path + (query.isEmpty() ? "" : "?" + query);
        }
    }

    /** What the proxy does to a matched request. */
    sealed interface Fault {
    }

    /** Answers with this status and S3 error code, without passing the request on. */
    record Answer(int status, String reason, String code) implements Fault {
    }

    /** Resets the connection once the request head is read, before anything reaches the server. */
    record Reset() implements Fault {
    }

    /** Passes the request on and resets both connections once this many bytes of the request body went up. */
    record ResetAfterRequestBytes(long bytes) implements Fault {
    }

    /** Passes the request on and resets the client's connection once this many response body bytes went back. */
    record ResetAfterResponseBytes(long bytes) implements Fault {
    }

    /** Reads the request and never answers, until the client gives up (its socket timeout) or the proxy closes. */
    record Stall() implements Fault {
    }

    /** A fault armed for the next {@code times} requests that match. */
    static final class Rule {
        private final Predicate<Request> match;
        private final Fault fault;
        private final AtomicInteger remaining;
        final AtomicInteger served = new AtomicInteger();

        private Rule(Predicate<Request> match, Fault fault, int times) {
            this.match = match;
            this.fault = fault;
            this.remaining = new AtomicInteger(times);
        }

        private boolean take(Request request) {
            return match.test(request) && remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
        }
    }

    private final ServerSocket server;
    private final int upstreamPort;
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "flaky-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private volatile boolean down;
    final AtomicInteger faultsServed = new AtomicInteger();
    /** Every request that reached the proxy with a readable head, in arrival order. */
    final List<Request> requests = new CopyOnWriteArrayList<>();

    FlakyProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(this::accept);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Arms {@code fault} for the next {@code times} requests that {@code match} (rules are tried in arming order). */
    Rule inject(Predicate<Request> match, Fault fault, int times) {
        Rule rule = new Rule(match, fault, times);
        rules.add(rule);
        return rule;
    }

    void slowDownNext(int requests) {
        inject(any -> true, new Answer(503, "Slow Down", "SlowDown"), requests);
    }

    void resetNext(int connections) {
        inject(any -> true, new Reset(), connections);
    }

    void goDown() {
        down = true;
        dropLiveConnections();
    }

    void comeBack() {
        down = false;
    }

    /** The recorded requests that {@code match}. */
    List<Request> requests(Predicate<Request> match) {
        return requests.stream().filter(match).toList();
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
        live.add(client);
        try {
            if (down) {
                faultsServed.incrementAndGet();
                reset(client);
                return;
            }
            client.setSoTimeout(30_000); // bounds a stalled client; the store's own timeouts are far shorter
            InputStream in = new BufferedInputStream(client.getInputStream());
            byte[] head = readHead(in);
            if (head == null) {
                closeQuietly(client);
                return;
            }
            Request request = parse(head);
            requests.add(request);
            Fault fault = null;
            for (Rule rule : rules) {
                if (rule.take(request)) {
                    rule.served.incrementAndGet();
                    fault = rule.fault;
                    break;
                }
            }
            if (fault != null) {
                faultsServed.incrementAndGet();
            }
            if (fault instanceof Answer answer) {
                answer(client, in, head, answer);
            } else if (fault instanceof Reset) {
                reset(client);
            } else if (fault instanceof Stall) {
                while (in.read() >= 0) {
                    // The client sends nothing more that matters; wait for it (or close()) to end the connection.
                }
                closeQuietly(client);
            } else {
                forward(client, in, head, fault);
            }
        } catch (IOException e) {
            closeQuietly(client);
        } finally {
            live.remove(client);
        }
    }

    /** The bytes of an HTTP head up to and including its blank line, or null at end of stream. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toByteArray();
    }

    private static Request parse(byte[] head) {
        String line = new String(head, 0, indexOf(head, (byte) '\r'), StandardCharsets.US_ASCII);
        String[] parts = line.split(" ");
        String target = parts.length > 1 ? parts[1] : "";
        int query = target.indexOf('?');
        return new Request(parts[0], query < 0 ? target : target.substring(0, query), query < 0 ? "" : target.substring(query + 1));
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return bytes.length;
    }

    /** The request or status line, then one line per header (split drops the blank line at the end). */
    private static List<String> headerLines(byte[] head) {
        return List.of(new String(head, StandardCharsets.US_ASCII).split("\r\n"));
    }

    private static String header(byte[] head, String name) {
        for (String line : headerLines(head)) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** The head with any Connection header replaced by {@code Connection: close}. */
    private static byte[] closing(byte[] head) {
        StringBuilder out = new StringBuilder();
        for (String line : headerLines(head)) {
            if (!line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                out.append(line).append("\r\n");
            }
        }
        return out.append("Connection: close\r\n\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    private void answer(Socket client, InputStream in, byte[] head, Answer answer) throws IOException {
        try (client) {
            // A client that sent "Expect: 100-continue" waits for our answer before its body; any other body is read
            // first, so that closing with unread bytes does not turn the answer into a reset.
            String length = header(head, "Content-Length");
            if (length != null && !"100-continue".equalsIgnoreCase(header(head, "Expect"))) {
                in.skipNBytes(Long.parseLong(length));
            }
            byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + answer.code() + "</Code><Message>"
                    + "injected by the test proxy</Message><RequestId>flaky-proxy</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
            OutputStream out = client.getOutputStream();
            out.write(("HTTP/1.1 " + answer.status() + " " + answer.reason() + "\r\nContent-Type: application/xml\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            client.shutdownOutput();
        }
    }

    private void forward(Socket client, InputStream clientIn, byte[] head, Fault fault) throws IOException {
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
        live.add(upstream);
        try {
            upstream.getOutputStream().write(closing(head));
            long requestLimit = fault instanceof ResetAfterRequestBytes r ? r.bytes() : Long.MAX_VALUE;
            threads.submit(() -> copyRequestBody(clientIn, client, upstream, requestLimit));
            InputStream upstreamIn = new BufferedInputStream(upstream.getInputStream());
            OutputStream out = client.getOutputStream();
            byte[] response = readHead(upstreamIn);
            // 100 Continue and other interim answers go through as they are; the final one is made to close.
            while (response != null && new String(response, 9, 1, StandardCharsets.US_ASCII).equals("1")) {
                out.write(response);
                out.flush();
                response = readHead(upstreamIn);
            }
            if (response == null) {
                reset(client);
                return;
            }
            out.write(closing(response));
            long limit = fault instanceof ResetAfterResponseBytes r ? r.bytes() : Long.MAX_VALUE;
            if (copy(upstreamIn, out, limit)) {
                reset(client);
            } else {
                out.flush();
                closeQuietly(client);
            }
        } finally {
            closeQuietly(upstream);
            live.remove(upstream);
        }
    }

    private void copyRequestBody(InputStream clientIn, Socket client, Socket upstream, long limit) {
        try {
            if (copy(clientIn, upstream.getOutputStream(), limit)) {
                reset(upstream);
                reset(client);
            }
        } catch (IOException ignored) {
            // One side closed or was dropped; the response side ends the exchange.
        }
    }

    /** Copies until end of stream, or until {@code limit} bytes went through; true if the limit was reached. */
    private static boolean copy(InputStream in, OutputStream out, long limit) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long copied = 0;
        while (true) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - copied));
            if (n < 0) {
                return false;
            }
            out.write(buffer, 0, n);
            out.flush();
            copied += n;
            if (copied >= limit) {
                return true;
            }
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
