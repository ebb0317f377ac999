// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A small internet in network namespaces: a client behind a censor's router, and behind the
 * router, on their own links, the server, a relay and a DNS-over-HTTPS resolver. The router is
 * where the censor acts (iptables, tc, a "national" DNS resolver, a DPI on NFQUEUE). Only
 * addresses inside these namespaces are used. {@link #close()} kills every process the lab
 * started and deletes the namespaces; namespaces left by a run that died are deleted at the next
 * start.
 *
 * <pre>
 *   client 10.77.1.2 ── 10.77.1.1 ┐
 *                                 censor ── 10.77.2.1 ── server 10.77.2.2 (svyaz.test)
 *                                        ├─ 10.77.3.1 ── relay  10.77.3.2
 *                                        └─ 10.77.4.1 ── doh    10.77.4.2
 * </pre>
 */
final class CensorLab implements AutoCloseable {
    static final String SERVER_NAME = "svyaz.test";
    static final String CENSOR_CLIENT_SIDE = "10.77.1.1";
    static final String SERVER_IP = "10.77.2.2";
    static final String RELAY_IP = "10.77.3.2";
    static final String DOH_IP = "10.77.4.2";
    private static final String PREFIX = "svzlab";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    enum Host {
        CLIENT("c", "10.77.1"), SERVER("s", "10.77.2"), RELAY("r", "10.77.3"), DOH("d", "10.77.4"), CENSOR("", "");

        final String link;
        final String subnet;

        Host(String link, String subnet) {
            this.link = link;
            this.subnet = subnet;
        }
    }

    record Result(int exitCode, String out, String err) {}

    private final String id;
    private final Path workDir;
    private final List<Process> processes = new ArrayList<>();
    private int clientAddress = 2;

    private CensorLab(String id, Path workDir) {
        this.id = id;
        this.workDir = workDir;
    }

    /** Builds the namespaces and links; fails with the reason when this is not root or tools are missing. */
    static CensorLab create(Path workDir) throws IOException, InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("The censor lab needs root (network namespaces, iptables, tc).");
        }
        for (String tool : List.of("ip", "iptables", "tc", "dnsmasq", "tcpdump", "gcc", "curl", "openssl")) {
            if (run(COMMAND_TIMEOUT, "sh", "-c", "command -v " + tool).exitCode() != 0) {
                throw new IllegalStateException("The censor lab needs '" + tool + "'; .ci/run installs it "
                        + "(apt-get install iproute2 iptables dnsmasq-base tcpdump gcc libnetfilter-queue-dev curl openssl).");
            }
        }
        removeStaleLabs();
        CensorLab lab = new CensorLab(PREFIX + ProcessHandle.current().pid(), workDir);
        try {
            lab.build();
        } catch (IOException | InterruptedException | RuntimeException e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    String namespace(Host host) {
        return id + "-" + host.name().toLowerCase(java.util.Locale.ROOT);
    }

    private void build() throws IOException, InterruptedException {
        for (Host host : Host.values()) {
            check(run(COMMAND_TIMEOUT, "ip", "netns", "add", namespace(host)));
            check(run(COMMAND_TIMEOUT, "ip", "-n", namespace(host), "link", "set", "lo", "up"));
        }
        for (Host host : List.of(Host.CLIENT, Host.SERVER, Host.RELAY, Host.DOH)) {
            String inner = host.link + "0";
            String outer = host.link + "1";
            check(run(COMMAND_TIMEOUT, "ip", "link", "add", inner, "netns", namespace(host), "type", "veth",
                    "peer", "name", outer, "netns", namespace(Host.CENSOR)));
            check(run(COMMAND_TIMEOUT, "ip", "-n", namespace(Host.CENSOR), "addr", "add", host.subnet + ".1/24", "dev", outer));
            check(run(COMMAND_TIMEOUT, "ip", "-n", namespace(Host.CENSOR), "link", "set", outer, "up"));
            check(run(COMMAND_TIMEOUT, "ip", "-n", namespace(host), "addr", "add", host.subnet + ".2/24", "dev", inner));
            check(run(COMMAND_TIMEOUT, "ip", "-n", namespace(host), "link", "set", inner, "up"));
            check(run(COMMAND_TIMEOUT, "ip", "-n", namespace(host), "route", "add", "default", "via", host.subnet + ".1"));
        }
        check(run(COMMAND_TIMEOUT, "ip", "netns", "exec", namespace(Host.CENSOR), "sysctl", "-qw", "net.ipv4.ip_forward=1"));
        // 'ip netns exec' mounts /etc/netns/NAME/* over /etc: each host gets its own resolver and hosts file.
        for (Host host : Host.values()) {
            Path etc = etc(host);
            Files.createDirectories(etc);
            String hosts = "127.0.0.1 localhost\n" + (host == Host.CLIENT ? "" : SERVER_IP + " " + SERVER_NAME + "\n");
            Files.writeString(etc.resolve("hosts"), hosts);
            Files.writeString(etc.resolve("resolv.conf"), "nameserver " + (host == Host.CLIENT ? CENSOR_CLIENT_SIDE
                    : "127.0.0.1") + "\noptions timeout:2 attempts:1\n");
        }
    }

    private Path etc(Host host) {
        return Path.of("/etc/netns", namespace(host));
    }

    /**
     * Moves the client to another address on its link, so it looks like a device on a new network
     * (the client remembers the winning route per network).
     */
    void moveClientToNewNetwork() throws IOException, InterruptedException {
        clientAddress = clientAddress >= 250 ? 3 : clientAddress + 1;
        String ns = namespace(Host.CLIENT);
        check(run(COMMAND_TIMEOUT, "ip", "-n", ns, "addr", "flush", "dev", "c0"));
        check(run(COMMAND_TIMEOUT, "ip", "-n", ns, "addr", "add", Host.CLIENT.subnet + "." + clientAddress + "/24", "dev", "c0"));
        check(run(COMMAND_TIMEOUT, "ip", "-n", ns, "route", "replace", "default", "via", Host.CLIENT.subnet + ".1"));
    }

    String clientIp() {
        return Host.CLIENT.subnet + "." + clientAddress;
    }

    /** Starts a long-running process inside {@code host}; its output goes to files under the work directory. */
    Process spawn(Host host, String name, List<String> command) throws IOException {
        return spawn(host, name, command, false);
    }

    /** Like {@link #spawn} but with standard output readable by the caller. */
    Process spawnReadable(Host host, String name, List<String> command) throws IOException {
        return spawn(host, name, command, true);
    }

    private Process spawn(Host host, String name, List<String> command, boolean readable) throws IOException {
        Path logs = workDir.resolve("logs");
        Files.createDirectories(logs);
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).redirectError(logs.resolve(name + ".err").toFile());
        if (!readable) {
            builder.redirectOutput(logs.resolve(name + ".out").toFile());
        }
        Process process = builder.start();
        synchronized (processes) {
            processes.add(process);
        }
        return process;
    }

    Path logs() {
        return workDir.resolve("logs");
    }

    /** Runs a command inside {@code host} to completion. */
    Result exec(Host host, Duration timeout, List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        full.addAll(command);
        return run(timeout, full.toArray(String[]::new));
    }

    /** Runs a command on the censor's router and insists that it worked. */
    void censor(String... command) throws IOException, InterruptedException {
        check(exec(Host.CENSOR, COMMAND_TIMEOUT, List.of(command)));
    }

    static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        var out = new Collector(process.getInputStream());
        var err = new Collector(process.getErrorStream());
        out.start();
        err.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
            out.join(1000);
            err.join(1000);
            return new Result(-1, out.text(), err.text() + "\n(killed after " + timeout.toSeconds() + " s)");
        }
        out.join();
        err.join();
        return new Result(process.exitValue(), out.text(), err.text());
    }

    static Result check(Result result) {
        if (result.exitCode() != 0) {
            throw new IllegalStateException("lab command failed (" + result.exitCode() + "): " + result.err().strip());
        }
        return result;
    }

    private static final class Collector extends Thread {
        private final java.io.InputStream in;
        private volatile String text = "";

        Collector(java.io.InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "<unreadable: " + e.getMessage() + ">";
            }
        }

        String text() {
            return text;
        }
    }

    /** Deletes namespaces of labs whose test process is gone (a run killed before it could clean up). */
    private static void removeStaleLabs() throws IOException, InterruptedException {
        Result list = run(COMMAND_TIMEOUT, "ip", "netns", "list");
        for (String line : list.out().lines().toList()) {
            String name = line.split("\\s+")[0];
            if (!name.startsWith(PREFIX) || !name.contains("-")) {
                continue;
            }
            String pid = name.substring(PREFIX.length(), name.indexOf('-'));
            if (pid.matches("\\d+") && ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
                killProcessesIn(name);
                run(COMMAND_TIMEOUT, "ip", "netns", "del", name);
                deleteRecursively(Path.of("/etc/netns", name));
            }
        }
    }

    private static void killProcessesIn(String namespace) throws IOException, InterruptedException {
        Result pids = run(COMMAND_TIMEOUT, "ip", "netns", "pids", namespace);
        for (String pid : pids.out().lines().map(String::strip).filter(p -> p.matches("\\d+")).toList()) {
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Override
    public void close() {
        synchronized (processes) {
            for (Process process : processes) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            for (Process process : processes) {
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            processes.clear();
        }
        for (Host host : Host.values()) {
            try {
                killProcessesIn(namespace(host));
                run(COMMAND_TIMEOUT, "ip", "netns", "del", namespace(host));
                deleteRecursively(etc(host));
            } catch (IOException e) {
                System.err.println("lab cleanup: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
