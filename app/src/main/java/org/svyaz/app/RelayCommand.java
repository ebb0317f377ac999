// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.relay.RelayConfig;
import org.svyaz.relay.RelayServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "relay", mixinStandardHelpOptions = true,
        description = {"Run a relay that carries Svyaz clients to a server when the server itself is blocked.",
                "To anyone without the relay's secret it looks like nginx serving a web site (--site, or a small site "
                        + "made for this relay on its first start, in DATA/site). "
                        + "It cannot read what it carries and keeps no log of who connects. Prints the relay link "
                        + "to share with users (svyaz addRelay LINK) on its first start only, when its secret is "
                        + "made, or when asked with --show-link: the link holds the secret, and logs of later "
                        + "starts should not."})
final class RelayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:443",
            description = "Where to accept connections (default ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--upstream", required = true, paramLabel = "SERVER_LINK",
            description = "The invite link of the server to carry clients to.")
    String upstream;

    @Option(names = "--upstream-address", paramLabel = "HOST:PORT",
            description = "Reach the server at this address instead of the first one in its link "
                    + "(for a relay that sees the server on a private network).")
    String upstreamAddress;

    @Option(names = "--public", paramLabel = "HOST:PORT",
            description = "The address users should dial, written into the relay link (default: --listen).")
    String publicAddress;

    @Option(names = "--sni", paramLabel = "NAME", required = true,
            description = "The innocuous name clients show in their TLS ClientHello and the self-signed "
                    + "certificate carries; use your site's real name with --cert. There is no default: a name "
                    + "every relay shared would give them all away.")
    String sni;

    @Option(names = "--turn-upstream", paramLabel = "HOST:PORT",
            description = "Also carry calls: the server's TURN over TLS port (svyaz server turn --tls-port), for "
                    + "clients whose network blocks the TURN server's address.")
    String turnUpstream;

    @Option(names = "--site", paramLabel = "DIR", description = "A static web site to show everyone else.")
    Path site;

    @Option(names = "--cert", paramLabel = "PEM", description = "A real TLS certificate for --sni (with --key).")
    Path certificate;

    @Option(names = "--key", paramLabel = "PEM", description = "The certificate's private key (PKCS#8 PEM).")
    Path key;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "svyaz-relay",
            description = "Where the relay keeps its secret and certificate (default ./${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
            description = "Connections beyond this are refused (default ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--no-qr", description = "Do not draw the relay link as a QR code on the terminal.")
    boolean noQr;

    @Option(names = "--show-link", description = "Print the relay link again (it is printed unasked only on "
            + "the first start, when the relay's secret is made).")
    boolean showLink;

    @Override
    public Integer call() throws Exception {
        InviteLink server = InviteLink.parse(upstream);
        Endpoint first = server.descriptor().getEndpoints(0);
        if ((certificate == null) != (key == null)) {
            throw new CommandLineException("--cert and --key go together.");
        }
        if (maxConnections < 1) {
            throw new CommandLineException("--max-connections must be at least 1.");
        }
        InetSocketAddress listenAddress = ServerCommand.parseAddress(listen, "--listen");
        InetSocketAddress upstreamServer = upstreamAddress == null
                ? new InetSocketAddress(first.getHost(), first.getPort())
                : ServerCommand.parseAddress(upstreamAddress, "--upstream-address");
        RelayConfig config = new RelayConfig(data, listenAddress, upstreamServer, sni, Optional.ofNullable(site),
                maxConnections, Duration.ofMinutes(5), Optional.ofNullable(certificate), Optional.ofNullable(key));
        if (turnUpstream != null) {
            config = config.withTurnUpstream(ServerCommand.parseAddress(turnUpstream, "--turn-upstream"));
        }
        RelayServer relay = RelayServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.close();
            stopped.countDown();
        }, "svyaz-relay-shutdown"));
        InetSocketAddress advertised = publicAddress == null
                ? relay.address()
                : ServerCommand.parseAddress(publicAddress, "--public");
        PrintWriter err = spec.commandLine().getErr();
        err.println("Svyaz relay listening on " + relay.address() + ", carrying clients to the server");
        if (!relay.secretCreated() && !showLink) {
            // The link carries the secret: printed on every start, it would end up in every log.
            err.println("The relay link was printed on the first start; its secret is kept in " + relay.secretFile()
                    + ". Start with --show-link to print the link again.");
            err.flush();
            stopped.await();
            return ExitCodes.OK;
        }
        err.println("Relay link (share it with the server's users; its secret is kept in " + relay.secretFile()
                + ", and the link is printed again only with --show-link):");
        err.flush();
        String link = relay.link(advertised.getHostString(), advertised.getPort(),
                server.descriptor().getIdentityKey().toByteArray()).toString();
        spec.commandLine().getOut().println(link);
        spec.commandLine().getOut().flush();
        if (!noQr) {
            err.println("The same link as a QR code (svyaz addRelay takes the text it holds):");
            err.print(TerminalQr.render(link));
            err.flush();
        }
        stopped.await();
        return ExitCodes.OK;
    }
}
