package io.ringtrain.allreduce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hosts made of Linux network namespaces: each host is a namespace with one interface on a switch (a bridge in a
 * namespace of its own), optionally shaped to a link rate with tbf, so processes started in it see a real
 * network between them. Needs root and iproute2; {@link #unavailableReason()} says why not where they are
 * missing. Closing deletes every namespace it made (and so every link); names carry this process's id, so
 * parallel runs do not collide and {@link #deleteLeftovers()} can remove those of processes that died.
 */
public final class NetnsHosts implements AutoCloseable {
    private static final String PREFIX = "rtns";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final String name;
    private final int sequence;
    private final int hosts;
    private final String subnet;
    private final List<String> created = new ArrayList<>();

    private NetnsHosts(int hosts) {
        int n = SEQUENCE.incrementAndGet();
        long pid = ProcessHandle.current().pid();
        this.name = PREFIX + pid + "x" + n;
        this.sequence = n;
        this.hosts = hosts;
        this.subnet = "10." + (20 + pid % 200) + "." + (n % 250) + ".";
    }

    /** Empty when namespaces can be made here; otherwise what is missing, for a skip message. */
    public static Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("network namespaces need root (running as " + System.getProperty("user.name") + ")");
        }
        try {
            String probe = PREFIX + "probe" + ProcessHandle.current().pid();
            Result add = run("ip", "netns", "add", probe);
            run("ip", "netns", "delete", probe);
            return add.ok() ? Optional.empty() : Optional.of("cannot create a network namespace: " + add.output());
        } catch (IOException e) {
            return Optional.of("iproute2 (the ip command) is not available: " + e.getMessage());
        }
    }

    /**
     * {@code hosts} namespaces on one switch, host h at {@link #address(int)}; with {@code linkRate} (tc syntax,
     * e.g. {@code 1gbit}) every host's link sends at most that rate (a tbf qdisc on its interface).
     */
    public static NetnsHosts create(int hosts, String linkRate) throws IOException {
        NetnsHosts net = new NetnsHosts(hosts);
        try {
            net.build(linkRate);
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    private void build(String linkRate) throws IOException {
        String sw = name + "s";
        must("ip", "netns", "add", sw);
        created.add(sw);
        must("ip", "netns", "exec", sw, "ip", "link", "add", "br0", "type", "bridge");
        must("ip", "netns", "exec", sw, "ip", "link", "set", "br0", "up");
        for (int h = 0; h < hosts; h++) {
            String ns = namespace(h);
            must("ip", "netns", "add", ns);
            created.add(ns);
            String outside = "rtv" + (ProcessHandle.current().pid() % 100000) + "s" + (sequence % 100) + "h" + h;
            must("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", ns);
            must("ip", "link", "set", outside, "netns", sw);
            // Jumbo frames, as on a cluster network: a 8960-byte MTU then needs no IP fragmentation.
            must("ip", "netns", "exec", sw, "ip", "link", "set", outside, "mtu", "9000");
            must("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "mtu", "9000");
            must("ip", "netns", "exec", sw, "ip", "link", "set", outside, "master", "br0", "up");
            must("ip", "netns", "exec", ns, "ip", "addr", "add", address(h) + "/24", "dev", "eth0");
            must("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up");
            must("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            if (linkRate != null) {
                shape(ns, linkRate);
            }
        }
    }

    /**
     * Shapes a host's outgoing link to {@code rate} with a token bucket, a FIFO as a NIC's queue is. (A qdisc
     * that serves small packets first would keep flow-control messages from queueing behind data; htb with a
     * filter for them dropped frames here, and fq_codel, which does that by default on most hosts, does not
     * work on this kernel.)
     */
    private static void shape(String ns, String rate) throws IOException {
        must("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", rate, "burst", "256kb",
                "latency", "50ms");
    }

    public int hosts() {
        return hosts;
    }

    public String namespace(int host) {
        return name + "h" + host;
    }

    public String address(int host) {
        return subnet + (host + 1);
    }

    /** The command that runs {@code command} inside host {@code host}. */
    public List<String> inHost(int host, List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        full.addAll(command);
        return full;
    }

    /** Runs a command inside a host and returns what it printed (for counters such as nft or tc statistics). */
    public String exec(int host, String... command) throws IOException {
        List<String> full = inHost(host, List.of(command));
        Result r = run(full.toArray(String[]::new));
        if (!r.ok()) {
            throw new IOException(String.join(" ", full) + " failed: " + r.output());
        }
        return r.output();
    }

    /** Cuts host {@code host} off the switch (its link goes down): nothing reaches it or leaves it until {@link #heal}. */
    public void cut(int host) throws IOException {
        exec(host, "ip", "link", "set", "eth0", "down");
    }

    /** Puts host {@code host}'s link up again after {@link #cut}; its address and route come back with it. */
    public void heal(int host) throws IOException {
        exec(host, "ip", "link", "set", "eth0", "up");
    }

    /** Empty when {@link #dropUdp} can work here; otherwise why not (nftables missing), for a skip message. */
    public static Optional<String> lossUnavailableReason() {
        try {
            Result r = run("nft", "--version");
            return r.ok() ? Optional.empty() : Optional.of("nft does not run: " + r.output());
        } catch (IOException e) {
            return Optional.of("nftables (the nft command) is not installed: apt-get install nftables");
        }
    }

    /**
     * Drops {@code percent} % of the UDP packets arriving at host {@code host}, chosen at random per packet (an
     * nftables rule in the host's namespace, which goes with it). Aeron must retransmit what is lost.
     */
    public void dropUdp(int host, int percent) throws IOException {
        if (percent < 1 || percent > 99) {
            throw new IllegalArgumentException("a loss rate is a whole percentage from 1 to 99, not " + percent);
        }
        exec(host, "nft", "add", "table", "inet", "rtloss");
        exec(host, "nft", "add", "chain", "inet", "rtloss", "in", "{ type filter hook input priority 0; }");
        exec(host, "nft", "add", "rule", "inet", "rtloss", "in", "meta", "l4proto", "udp", "numgen", "random", "mod", "100",
                "<", "" + percent, "counter", "drop");
    }

    /**
     * Splits the network in two: the hosts in {@code side} and all the others stop reaching each other, TCP and UDP
     * alike, while each side still reaches itself (nftables drops in every host's namespace, both ways). Needs
     * nftables ({@link #lossUnavailableReason}); {@link #rejoin} ends it.
     */
    public void split(Set<Integer> side) throws IOException {
        List<String> these = new ArrayList<>();
        List<String> those = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            (side.contains(h) ? these : those).add(address(h));
        }
        if (these.isEmpty() || those.isEmpty()) {
            throw new IllegalArgumentException("a split needs hosts on both sides, not " + side + " of " + hosts);
        }
        for (int h = 0; h < hosts; h++) {
            String others = "{ " + String.join(", ", side.contains(h) ? those : these) + " }";
            exec(h, "nft", "add", "table", "inet", "rtsplit");
            exec(h, "nft", "add", "chain", "inet", "rtsplit", "in", "{ type filter hook input priority 0; }");
            exec(h, "nft", "add", "chain", "inet", "rtsplit", "out", "{ type filter hook output priority 0; }");
            exec(h, "nft", "add", "rule", "inet", "rtsplit", "in", "ip", "saddr", others, "drop");
            exec(h, "nft", "add", "rule", "inet", "rtsplit", "out", "ip", "daddr", others, "drop");
        }
    }

    /** Ends a {@link #split}: every host reaches every other again. */
    public void rejoin() throws IOException {
        for (int h = 0; h < hosts; h++) {
            exec(h, "nft", "delete", "table", "inet", "rtsplit");
        }
    }

    /** How many packets {@link #dropUdp} has dropped at host {@code host} so far. */
    public long droppedPackets(int host) throws IOException {
        String listing = exec(host, "nft", "list", "chain", "inet", "rtloss", "in");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)").matcher(listing);
        if (!m.find()) {
            throw new IOException("no drop counter in host " + host + "'s rules: " + listing);
        }
        return Long.parseLong(m.group(1));
    }

    @Override
    public void close() {
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                run("ip", "netns", "delete", created.get(i));
            } catch (IOException e) {
                // Reported by the next run's leftover sweep.
            }
        }
        created.clear();
    }

    /** Deletes namespaces made by processes that are gone (a run killed before it could clean up). */
    public static void deleteLeftovers() throws IOException {
        for (String line : run("ip", "netns", "list").output().split("\n")) {
            String ns = line.trim().split(" ")[0];
            if (!ns.startsWith(PREFIX) || ns.startsWith(PREFIX + "probe")) {
                continue;
            }
            int end = ns.indexOf('x', PREFIX.length());
            try {
                long pid = Long.parseLong(ns.substring(PREFIX.length(), end < 0 ? ns.length() : end));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
                    run("ip", "netns", "delete", ns);
                }
            } catch (NumberFormatException | StringIndexOutOfBoundsException notOurs) {
                // Not a name we made.
            }
        }
    }

    /** Names of namespaces that exist now and were made by this process. */
    public static List<String> ownedByThisProcess() throws IOException {
        List<String> mine = new ArrayList<>();
        for (String line : run("ip", "netns", "list").output().split("\n")) {
            String ns = line.trim().split(" ")[0];
            if (ns.startsWith(PREFIX + ProcessHandle.current().pid() + "x")) {
                mine.add(ns);
            }
        }
        return mine;
    }

    private static void must(String... command) throws IOException {
        Result r = run(command);
        if (!r.ok()) {
            throw new IOException(String.join(" ", command) + " failed: " + r.output());
        }
    }

    private record Result(int code, String output) {
        boolean ok() {
            return code == 0;
        }
    }

    private static Result run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not finish within 30 s");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while running " + String.join(" ", command), e);
        }
    }
}
