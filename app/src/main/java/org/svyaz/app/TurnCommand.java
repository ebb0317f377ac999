// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.svyaz.server.calls.TurnCredentialIssuer;
import org.svyaz.server.identity.DescriptorSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Sets up coturn beside the server: writes a coturn configuration that checks the server's TURN
 * credentials (one shared secret, coturn's {@code use-auth-secret}), and lists the TURN server in the
 * descriptor so accounts are handed credentials for it. coturn itself is started by the operator
 * (or its Debian service) with the file written here.
 */
@Command(name = "turn", mixinStandardHelpOptions = true,
        description = {"Set up coturn (Debian package coturn) to carry call media for this server's accounts.",
                "Writes DATA/turnserver.conf and adds the TURN server to the descriptor; then start coturn with "
                        + "'turnserver -c DATA/turnserver.conf'. A running server hands out credentials within a minute.",
                "Calls that cannot connect directly (UDP blocked, both sides behind NAT) go through it."})
final class TurnCommand implements Callable<Integer> {
    static final String CONFIG_FILE = "turnserver.conf";

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "Server data directory (default: ./svyaz-data).")
    Path data = ServerCommand.DEFAULT_DATA;

    @Option(names = "--listen", paramLabel = "IP:PORT", defaultValue = "0.0.0.0:3478",
            description = "Where coturn listens, UDP and TCP (default ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--advertise", paramLabel = "HOST",
            description = "The name or address clients reach coturn at (default: the listening address; "
                    + "required when that is 0.0.0.0).")
    String advertise;

    @Option(names = "--relay-ip", paramLabel = "IP",
            description = "The address coturn relays media from (default: the listening address).")
    String relayIp;

    @Option(names = "--ports", paramLabel = "MIN-MAX", defaultValue = "49152-65535",
            description = "UDP ports coturn relays media on (default ${DEFAULT-VALUE}).")
    String ports;

    @Option(names = "--tls-port", paramLabel = "PORT",
            description = "Also take TURN over TLS on this port of the same address (443 looks like any web "
                    + "site), with the server's own TLS key (DATA/tls.key), which clients pin.")
    Integer tlsPort;

    @Option(names = "--allow-private-peers",
            description = "Let coturn relay to private and loopback addresses (a test or a LAN; off: a TURN server "
                    + "open to accounts must not reach into the operator's own network).")
    boolean allowPrivatePeers;

    /** Address ranges a TURN server must not relay into (RFC 6890 special-purpose and private blocks). */
    private static final List<String> PRIVATE_RANGES = List.of("0.0.0.0-0.255.255.255", "10.0.0.0-10.255.255.255",
            "100.64.0.0-100.127.255.255", "127.0.0.0-127.255.255.255", "169.254.0.0-169.254.255.255",
            "172.16.0.0-172.31.255.255", "192.0.0.0-192.0.0.255", "192.168.0.0-192.168.255.255",
            "198.18.0.0-198.19.255.255", "240.0.0.0-255.255.255.255", "::1", "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

    @Override
    public Integer call() throws Exception {
        InetSocketAddress address = ServerCommand.parseAddress(listen, "--listen");
        InetAddress ip = address.getAddress();
        String host = advertise != null ? advertise : ip.getHostAddress();
        if (advertise == null && ip.isAnyLocalAddress()) {
            throw new CommandLineException("--advertise HOST is needed when coturn listens on every address: "
                    + "clients must be told where to reach it.");
        }
        String[] range = ports.split("-");
        int minPort;
        int maxPort;
        try {
            minPort = Integer.parseInt(range[0]);
            maxPort = Integer.parseInt(range[range.length - 1]);
        } catch (NumberFormatException e) {
            throw new CommandLineException("--ports takes MIN-MAX, such as 49152-65535.");
        }
        if (range.length != 2 || minPort < 1024 || maxPort > 65535 || minPort > maxPort) {
            throw new CommandLineException("--ports takes MIN-MAX within 1024-65535, such as 49152-65535.");
        }
        Files.createDirectories(data);
        String secret = TurnCredentialIssuer.secret(data);
        List<String> lines = new ArrayList<>(List.of(
                "# Written by 'svyaz server turn'; start coturn with: turnserver -c " + data.resolve(CONFIG_FILE),
                "# Credentials come from the Svyaz server (TURN REST scheme); the secret is DATA/turn-secret.",
                "listening-ip=" + ip.getHostAddress(),
                "listening-port=" + address.getPort(),
                "relay-ip=" + (relayIp != null ? relayIp : ip.getHostAddress()),
                "min-port=" + minPort,
                "max-port=" + maxPort,
                "use-auth-secret",
                "static-auth-secret=" + secret,
                "realm=svyaz",
                "fingerprint",
                "no-cli",
                "no-dtls",
                "no-multicast-peers",
                "no-software-attribute",
                // No log: it would hold every caller's address.
                "no-stdout-log",
                "log-file=/dev/null",
                "simple-log"));
        if (tlsPort != null) {
            if (tlsPort < 1 || tlsPort > 65535 || tlsPort == address.getPort()) {
                throw new CommandLineException("--tls-port must be a port from 1 to 65535 other than --listen's.");
            }
            lines.addAll(List.of("tls-listening-port=" + tlsPort,
                    "cert=" + data.toAbsolutePath().resolve("tls.crt"),
                    "pkey=" + data.toAbsolutePath().resolve("tls.key"),
                    "no-tlsv1",
                    "no-tlsv1_1"));
        } else {
            lines.add("no-tls");
        }
        if (allowPrivatePeers) {
            lines.add("allow-loopback-peers");
        } else {
            PRIVATE_RANGES.forEach(r -> lines.add("denied-peer-ip=" + r));
        }
        Path config = data.resolve(CONFIG_FILE);
        Files.write(config, lines);
        DescriptorSettings settings = DescriptorSettings.load(data);
        String hostPort = (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
        settings.turnUris().add("turn:" + hostPort + "?transport=udp");
        settings.turnUris().add("turn:" + hostPort + "?transport=tcp");
        if (tlsPort != null) {
            settings.turnUris().add("turns:" + (host.contains(":") ? "[" + host + "]" : host) + ":" + tlsPort
                    + "?transport=tcp");
        }
        settings.save(data);
        PrintWriter out = spec.commandLine().getOut();
        out.println("Wrote " + config + ".");
        settings.turnUris().forEach(uri -> out.println("turn " + uri));
        if (tlsPort != null && !Files.exists(data.resolve("tls.key"))) {
            out.println("Start the server once before coturn: it makes DATA/tls.key, which coturn's TLS uses.");
        }
        out.println("Start coturn with: turnserver -c " + config);
        return ExitCodes.OK;
    }
}
