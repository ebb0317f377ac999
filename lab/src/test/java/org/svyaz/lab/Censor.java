// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.svyaz.lab.CensorLab.Host;

/**
 * The censor on the lab's router: a "national" DNS resolver (dnsmasq) for the client, and per
 * {@link Scenario} iptables rules, tc shapers and a DPI program on NFQUEUE. {@link #apply} first
 * undoes the previous scenario.
 */
final class Censor {
    private static final int QUEUE = 7;
    /** Throttled flows that each have 16 kbit/s of their own; see {@link #throttle}. */
    private static final int FLOW_SLOTS = 64;
    /** Where the lab's DPI program is built from (relative to the lab module). */
    private static final Path DPI_SOURCE = Path.of("sni-filter", "sni_filter.c");

    private final CensorLab lab;
    private final Path dpiBinary;
    private Process dns;
    private String dnsAnswer = "";
    private Process dpi;
    private Path dpiLog;

    private Censor(CensorLab lab, Path dpiBinary) {
        this.lab = lab;
        this.dpiBinary = dpiBinary;
    }

    static Censor start(CensorLab lab, Path buildDir) throws IOException, InterruptedException {
        Path binary = buildDir.resolve("sni_filter");
        CensorLab.check(CensorLab.run(Duration.ofSeconds(60), "gcc", "-O2", "-Wall", "-Wextra", "-o", binary.toString(),
                DPI_SOURCE.toAbsolutePath().toString(), "-lnetfilter_queue"));
        Censor censor = new Censor(lab, binary);
        censor.nationalDns(CensorLab.SERVER_IP);
        return censor;
    }

    void apply(Scenario scenario) throws IOException, InterruptedException {
        reset();
        switch (scenario) {
            case NONE -> { }
            case DNS_NXDOMAIN -> {
                nationalDns("");
                interceptDns();
            }
            case DNS_WRONG_ADDRESS -> {
                // The censor's own address: nothing listens there, so connections are refused.
                nationalDns(CensorLab.CENSOR_CLIENT_SIDE);
                interceptDns();
            }
            case IP_DROPPED -> lab.censor("iptables", "-A", "FORWARD", "-i", "c1", "-d", CensorLab.SERVER_IP, "-j", "DROP");
            case IP_RESET -> {
                lab.censor("iptables", "-A", "FORWARD", "-i", "c1", "-d", CensorLab.SERVER_IP, "-p", "tcp",
                        "-j", "REJECT", "--reject-with", "tcp-reset");
                lab.censor("iptables", "-A", "FORWARD", "-i", "c1", "-d", CensorLab.SERVER_IP, "-j", "DROP");
            }
            case SNI_DROPPED -> dpi(scenario, "DROP", false);
            case SNI_RESET -> dpi(scenario, "REJECT", false);
            case SNI_OR_NONE_DROPPED -> dpi(scenario, "DROP", true);
            case THROTTLED -> throttle();
            case FROZEN -> freezeFlowsWith(CensorLab.SERVER_IP);
            case ONLY_WEB_PORTS -> {
                lab.censor("iptables", "-A", "FORWARD", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT");
                lab.censor("iptables", "-A", "FORWARD", "-i", "c1", "-p", "tcp", "-m", "multiport", "--dports", "80,443",
                        "-j", "ACCEPT");
                lab.censor("iptables", "-A", "FORWARD", "-i", "c1", "-j", "DROP");
            }
            case RELAY_ONLY, RELAY_FROZEN -> {
                nationalDns("");
                interceptDns();
                lab.censor("iptables", "-A", "FORWARD", "-i", "c1", "-d", CensorLab.SERVER_IP, "-j", "DROP");
                lab.censor("iptables", "-A", "FORWARD", "-i", "c1", "-d", CensorLab.DOH_IP, "-j", "DROP");
                if (scenario == Scenario.RELAY_FROZEN) {
                    freezeFlowsWith(CensorLab.RELAY_IP);
                }
            }
        }
    }

    /**
     * Flows between the client and {@code address} stop carrying anything once 16 KB crossed them
     * (either way, counted together), as flows to foreign hosting in Russia do since 2025; they
     * stay open.
     */
    private void freezeFlowsWith(String address) throws IOException, InterruptedException {
        lab.censor("iptables", "-A", "FORWARD", "-i", "c1", "-d", address, "-p", "tcp",
                "-m", "connbytes", "--connbytes", "16384:", "--connbytes-dir", "both",
                "--connbytes-mode", "bytes", "-j", "DROP");
        lab.censor("iptables", "-A", "FORWARD", "-o", "c1", "-s", address, "-p", "tcp",
                "-m", "connbytes", "--connbytes", "16384:", "--connbytes-dir", "both",
                "--connbytes-mode", "bytes", "-j", "DROP");
    }

    /**
     * Back to an open network: no rules, no shapers, no DPI, an honest national DNS. Fails if the
     * DPI of the scenario that ends here died before it was stopped.
     */
    void reset() throws IOException, InterruptedException {
        // The rules go first: without its NFQUEUE rule nothing waits for the DPI any more.
        for (String table : List.of("filter", "nat", "mangle")) {
            lab.censor("iptables", "-t", table, "-F");
        }
        for (String link : List.of("c1", "s1")) {
            // Fails when there is no shaper, which is fine.
            lab.exec(Host.CENSOR, Duration.ofSeconds(10), List.of("tc", "qdisc", "del", "dev", link, "root"));
        }
        packetsAsOnAWire(false);
        stopDpi();
        nationalDns(CensorLab.SERVER_IP);
    }

    /**
     * With {@code wire}, the client and the server send packets of at most one segment each, as
     * reach a real router; otherwise the veths' large offload packets (up to 64 KB, sent whole to
     * the censor) are allowed again. A shaper that meets a 64 KB packet lets it through at once and
     * then nothing for half a minute at 16 kbit/s: bursts, not throttling.
     */
    private void packetsAsOnAWire(boolean wire) throws IOException, InterruptedException {
        for (Host host : List.of(Host.CLIENT, Host.SERVER)) {
            CensorLab.check(lab.exec(host, Duration.ofSeconds(10), List.of("ip", "link", "set", "dev", host.link + "0",
                    "gso_max_segs", wire ? "1" : "65535")));
        }
    }

    private void stopDpi() throws InterruptedException {
        if (dpi == null) {
            return;
        }
        Process stopping = dpi;
        dpi = null;
        boolean diedEarly = !stopping.isAlive();
        stopping.destroy();
        if (!stopping.waitFor(10, TimeUnit.SECONDS)) {
            // Still bound to the queue, where the next scenario's DPI must bind.
            stopping.destroyForcibly();
            stopping.waitFor(10, TimeUnit.SECONDS);
        }
        if (diedEarly) {
            throw new IllegalStateException("the lab's DPI exited with " + stopping.exitValue()
                    + " before the scenario ended; see " + dpiLog);
        }
    }

    /**
     * (Re)starts dnsmasq as the client's resolver; {@code answer} is the address it gives for the
     * server's name, or empty for NXDOMAIN.
     */
    private void nationalDns(String answer) throws IOException, InterruptedException {
        if (dns != null && dns.isAlive() && dnsAnswer.equals(answer)) {
            return;
        }
        if (dns != null) {
            dns.destroy();
            dns.waitFor(10, TimeUnit.SECONDS);
        }
        dns = lab.spawn(Host.CENSOR, "dnsmasq", List.of("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=" + CensorLab.CENSOR_CLIENT_SIDE,
                "--user=root", "--group=root", "--pid-file=", "--address=/" + CensorLab.SERVER_NAME + "/" + answer));
        dnsAnswer = answer;
        // Ready when it answers; bounded.
        for (int i = 0; i < 50; i++) {
            CensorLab.Result probe = lab.exec(Host.CLIENT, Duration.ofSeconds(5),
                    List.of("getent", "hosts", "localhost.invalid-probe"));
            if (probe.exitCode() == 2 || probe.exitCode() == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the lab's national DNS did not start; see " + lab.logs());
    }

    /** Redirects the client's plain DNS to any resolver to the national one, as censors do. */
    private void interceptDns() throws IOException, InterruptedException {
        for (String protocol : List.of("udp", "tcp")) {
            lab.censor("iptables", "-t", "nat", "-A", "PREROUTING", "-i", "c1", "-p", protocol, "--dport", "53",
                    "-j", "DNAT", "--to-destination", CensorLab.CENSOR_CLIENT_SIDE + ":53");
        }
    }

    /**
     * Flows whose ClientHello names the server (and, with {@code noneToo}, names nothing) are
     * blocked by {@code action} (DROP or REJECT with a TCP reset) for the rest of the connection.
     * The DPI reassembles each flow's hello and marks the packet that completes the name; the
     * rules act on the mark and keep it on the connection.
     *
     * <p>The DPI starts first and the rules follow once it has bound its queue, and the NFQUEUE
     * rule has no {@code --queue-bypass}: while no DPI listens (not yet, or no more), the packets
     * it is to judge are dropped, never let through unjudged. A DPI that died fails the scenario
     * when it ends ({@link #reset}).
     */
    private void dpi(Scenario scenario, String action, boolean noneToo) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(dpiBinary.toString(), "--queue", Integer.toString(QUEUE),
                "--block", CensorLab.SERVER_NAME, "--action", action.equals("REJECT") ? "reset" : "drop"));
        if (noneToo) {
            command.add("--block-empty");
        }
        String name = "dpi-" + scenario.name().toLowerCase(Locale.ROOT);
        dpiLog = lab.logs().resolve(name + ".err");
        dpi = lab.spawnReadable(Host.CENSOR, name, command);
        awaitReady(dpi);

        lab.censor("iptables", "-A", "FORWARD", "-p", "tcp", "-m", "mark", "--mark", "0x1", "-j", "CONNMARK", "--save-mark");
        lab.censor("iptables", "-A", "FORWARD", "-p", "tcp", "-j", "CONNMARK", "--restore-mark");
        List<String> block = new ArrayList<>(List.of("iptables", "-A", "FORWARD", "-p", "tcp", "-m", "mark", "--mark", "0x1",
                "-j", action));
        if (action.equals("REJECT")) {
            block.addAll(List.of("--reject-with", "tcp-reset"));
        }
        lab.censor(block.toArray(String[]::new));
        lab.censor("iptables", "-A", "FORWARD", "-p", "tcp", "-m", "multiport", "--dports", "443,8443",
                "-j", "NFQUEUE", "--queue-num", Integer.toString(QUEUE));
    }

    /** The DPI prints "ready" once its queue is bound; fails with its log if it exits or stays silent. */
    private void awaitReady(Process process) {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        String first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        }).completeOnTimeout(null, 20, TimeUnit.SECONDS).join();
        if (!"ready".equals(first)) {
            throw new IllegalStateException("the lab's DPI did not start; see " + dpiLog);
        }
    }

    /**
     * Holds each of the client's flows with the server to 16 kbit/s each way, as a throttling
     * censor does (a flow at a time, not the sum: more flows get more through). Each new flow is
     * dealt the next of {@link #FLOW_SLOTS} HTB classes in turn (an iptables {@code statistic} rule
     * per slot marks the connection, a {@code CLASSIFY} rule per slot puts its packets in the
     * slot's class), on the links towards the client and towards the server. The kernel here has
     * neither {@code fq} nor tc's flow classifier. Two flows share a slot only when one outlives
     * {@link #FLOW_SLOTS} newer ones. The relay's own flows to the server, which do not cross the
     * censor's border, are left alone.
     */
    private void throttle() throws IOException, InterruptedException {
        packetsAsOnAWire(true);
        // In two batches: 384 commands one by one take long.
        StringBuilder shapers = new StringBuilder();
        for (String link : List.of("c1", "s1")) {
            shapers.append("qdisc add dev ").append(link).append(" root handle 1: htb default 1000\n");
            shapers.append("class add dev ").append(link).append(" parent 1: classid 1:1000 htb rate 1gbit\n");
            for (int slot = 1; slot <= FLOW_SLOTS; slot++) {
                shapers.append("class add dev ").append(link).append(" parent 1: classid 1:")
                        .append(Integer.toHexString(slot))
                        .append(" htb rate 16kbit ceil 16kbit burst 2k cburst 2k\n");
            }
        }
        StringBuilder rules = new StringBuilder("*mangle\n");
        for (int slot = 1; slot <= FLOW_SLOTS; slot++) {
            rules.append("-A FORWARD -i c1 -d ").append(CensorLab.SERVER_IP)
                    .append(" -m conntrack --ctstate NEW -m statistic --mode nth --every ").append(FLOW_SLOTS)
                    .append(" --packet ").append(slot - 1).append(" -j CONNMARK --set-mark ").append(slot).append('\n');
            rules.append("-A FORWARD -m connmark --mark ").append(slot).append(" -j CLASSIFY --set-class 1:")
                    .append(Integer.toHexString(slot)).append('\n');
        }
        rules.append("COMMIT\n");
        Path batch = Files.createTempFile("svyaz-lab-shapers", ".tc");
        Path table = Files.createTempFile("svyaz-lab-rules", ".iptables");
        try {
            Files.writeString(batch, shapers);
            Files.writeString(table, rules);
            lab.censor("tc", "-batch", batch.toString());
            lab.censor("iptables-restore", "--noflush", table.toString());
        } finally {
            Files.deleteIfExists(batch);
            Files.deleteIfExists(table);
        }
    }
}
