// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.account.InviteCodes;
import org.svyaz.server.account.RegistrationPolicy;
import org.svyaz.server.identity.DescriptorPublisher;
import org.svyaz.server.identity.DescriptorSettings;
import org.svyaz.server.store.sqlite.EmbeddedStorage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run a Svyaz server on the embedded store (SQLite in the data directory).",
                "The first start creates the data directory, the server keys and a TLS certificate, and writes "
                        + "the invite link to DATA/invite.txt. SIGTERM (Ctrl-C) shuts down gracefully."},
        subcommands = {ServerCommand.InviteCommand.class, ServerCommand.DescriptorCommand.class})
final class ServerCommand implements Callable<Integer> {
    static final Path DEFAULT_DATA = Path.of("svyaz-data");

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "Server data directory (default: ./svyaz-data).")
    Path data = DEFAULT_DATA;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:8443",
            description = "Address to accept clients on (default ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--registration", paramLabel = "open|invite", defaultValue = "open",
            description = "Who may register: open (anyone with the link) or invite (one-time codes from "
                    + "'svyaz server invite'). Default ${DEFAULT-VALUE}.")
    String registration;

    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9464",
            description = "Loopback address for Prometheus metrics at /metrics (default ${DEFAULT-VALUE}); "
                    + "'off' disables it.")
    String admin;

    @Option(names = "--advertise", paramLabel = "HOST:PORT",
            description = "Address clients should use, written into the invite link; repeatable. "
                    + "Default: the listen address (every interface address when listening on 0.0.0.0).")
    List<String> advertise = new ArrayList<>();

    @Option(names = "--send-burst", paramLabel = "N", defaultValue = "200",
            description = "Messages an account may send at once before the rate limit applies (default ${DEFAULT-VALUE}).")
    int sendBurst;

    @Option(names = "--sends-per-second", paramLabel = "RATE", defaultValue = "50",
            description = "Sustained messages per second per account (default ${DEFAULT-VALUE}).")
    double sendsPerSecond;

    @Option(names = "--mailbox-max", paramLabel = "N", defaultValue = "10000",
            description = "Undelivered messages a device may hold; sends beyond it are refused until it reconnects "
                    + "(default ${DEFAULT-VALUE}).")
    int mailboxMax;

    @Option(names = "--mailbox-expiry-days", paramLabel = "DAYS", defaultValue = "30",
            description = "Undelivered messages older than this are deleted (default ${DEFAULT-VALUE}).")
    int mailboxExpiryDays;

    @Option(names = "--max-attachment-mb", paramLabel = "MiB", defaultValue = "100",
            description = "Largest attachment accepted, in MiB (default ${DEFAULT-VALUE}).")
    long maxAttachmentMib;

    @Option(names = "--attachment-expiry-days", paramLabel = "DAYS", defaultValue = "30",
            description = "Attachments older than this are deleted (default ${DEFAULT-VALUE}).")
    int attachmentExpiryDays;

    @Override
    public Integer call() throws Exception {
        if (maxAttachmentMib < 1 || maxAttachmentMib > 1024 * 1024 || attachmentExpiryDays < 1) {
            throw new CommandLineException("--max-attachment-mb must be between 1 and 1048576, "
                    + "--attachment-expiry-days at least 1.");
        }
        if (mailboxMax < 1 || mailboxExpiryDays < 1) {
            throw new CommandLineException("--mailbox-max and --mailbox-expiry-days must be at least 1.");
        }
        if (sendBurst < 1 || sendsPerSecond <= 0) {
            throw new CommandLineException("--send-burst must be at least 1 and --sends-per-second above 0.");
        }
        ServerConfig config = ServerConfig.defaults(data, parseAddress(listen, "--listen"))
                .withRegistration(parsePolicy(registration))
                .withAdmin(admin.equalsIgnoreCase("off") ? Optional.empty() : Optional.of(parseAddress(admin, "--admin")))
                .withAdvertised(advertised())
                .withSendLimit(sendBurst, sendsPerSecond)
                .withMailbox(mailboxMax, Duration.ofDays(mailboxExpiryDays))
                .withBlobs(maxAttachmentMib * 1024 * 1024, Duration.ofDays(attachmentExpiryDays));
        PrintWriter err = spec.commandLine().getErr();
        SvyazServer server;
        try {
            server = SvyazServer.start(config);
        } catch (java.net.BindException e) {
            throw new CommandLineException("Cannot listen on " + listen + " (or the admin address " + admin
                    + "): " + e.getMessage() + ". Choose another with --listen / --admin.");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "svyaz-shutdown"));
        err.println("Svyaz server listening on " + server.address() + " (data in " + data.toAbsolutePath() + ")");
        server.adminAddress().ifPresent(a -> err.println("Metrics on http://" + a.getHostString() + ":" + a.getPort()
                + "/metrics"));
        err.println("Registration: " + config.registration().name().toLowerCase()
                + (config.registration() == RegistrationPolicy.INVITE ? " (make codes with 'svyaz server invite')" : ""));
        err.println("Invite link (also in " + data.resolve(DescriptorPublisher.INVITE_FILE) + "):");
        err.flush();
        spec.commandLine().getOut().println(server.inviteLink());
        spec.commandLine().getOut().flush();
        stopped.await();
        return ExitCodes.OK;
    }

    private List<Endpoint> advertised() throws CommandLineException {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String value : advertise) {
            InetSocketAddress address = parseEndpoint(value, "--advertise");
            endpoints.add(Endpoint.newBuilder().setHost(address.getHostString()).setPort(address.getPort()).build());
        }
        return endpoints;
    }

    static InetSocketAddress parseAddress(String value, String option) throws CommandLineException {
        InetSocketAddress address = parseEndpoint(value, option);
        InetSocketAddress resolved = new InetSocketAddress(address.getHostString(), address.getPort());
        if (resolved.isUnresolved()) {
            throw new CommandLineException(option + ": cannot resolve '" + address.getHostString() + "'.");
        }
        return resolved;
    }

    /**
     * HOST:PORT as clients will dial it, not resolved here: the name of an advertised address only
     * has to resolve where users are (and a censor may see to it that it does not; see DoH).
     */
    static InetSocketAddress parseEndpoint(String value, String option) throws CommandLineException {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new CommandLineException(option + " takes HOST:PORT, for example 0.0.0.0:8443; got '" + value + "'.");
        }
        String host = value.substring(0, colon).replace("[", "").replace("]", "");
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return InetSocketAddress.createUnresolved(host, port);
        } catch (NumberFormatException e) {
            throw new CommandLineException(option + ": '" + value.substring(colon + 1) + "' is not a port number.");
        }
    }

    private static RegistrationPolicy parsePolicy(String value) throws CommandLineException {
        return switch (value.toLowerCase()) {
            case "open" -> RegistrationPolicy.OPEN;
            case "invite" -> RegistrationPolicy.INVITE;
            default -> throw new CommandLineException("--registration is 'open' or 'invite', not '" + value + "'.");
        };
    }

    @Command(name = "invite", mixinStandardHelpOptions = true,
            description = {"Make a one-time invite link for a server with --registration invite.",
                    "Works while the server runs. Share the printed link with one person."})
    static final class InviteCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", description = "Server data directory (default: ./svyaz-data).")
        Path data = DEFAULT_DATA;

        @Option(names = "--valid-days", paramLabel = "DAYS", defaultValue = "7",
                description = "How long the code stays valid (default ${DEFAULT-VALUE}).")
        int validDays;

        @Override
        public Integer call() throws Exception {
            Path inviteFile = data.resolve(DescriptorPublisher.INVITE_FILE);
            if (!Files.isRegularFile(inviteFile)) {
                throw new CommandLineException("No server in " + data.toAbsolutePath()
                        + ": start one there with 'svyaz server --data " + data + "' first.");
            }
            if (validDays < 1) {
                throw new CommandLineException("--valid-days must be at least 1.");
            }
            InviteLink base = InviteLink.parse(Files.readString(inviteFile));
            try (EmbeddedStorage storage = EmbeddedStorage.open(data)) {
                String code = new InviteCodes(storage.accounts(), java.time.Clock.systemUTC())
                        .create(Duration.ofDays(validDays));
                spec.commandLine().getOut().println(new InviteLink(base.signed(), base.descriptor(), Optional.of(code)));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "descriptor", mixinStandardHelpOptions = true,
            description = {"Add or remove addresses, relays and DNS-over-HTTPS resolvers in the server's signed descriptor.",
                    "Clients learn the new descriptor the next time they connect; a running server re-signs within "
                            + "a minute. Without options, lists the current additions."})
    static final class DescriptorCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", description = "Server data directory (default: ./svyaz-data).")
        Path data = DEFAULT_DATA;

        @Option(names = "--add-endpoint", paramLabel = "HOST:PORT", description = "An address clients may use; repeatable.")
        List<String> addEndpoints = new ArrayList<>();

        @Option(names = "--remove-endpoint", paramLabel = "HOST:PORT", description = "Stop advertising an address.")
        List<String> removeEndpoints = new ArrayList<>();

        @Option(names = "--add-relay", paramLabel = "RELAY_LINK", description = "A relay for this server; repeatable.")
        List<String> addRelays = new ArrayList<>();

        @Option(names = "--remove-relay", paramLabel = "RELAY_LINK", description = "Stop advertising a relay.")
        List<String> removeRelays = new ArrayList<>();

        @Option(names = "--add-doh", paramLabel = "URL", description = "A DNS-over-HTTPS resolver (https://...).")
        List<String> addDoh = new ArrayList<>();

        @Option(names = "--remove-doh", paramLabel = "URL", description = "Stop advertising a resolver.")
        List<String> removeDoh = new ArrayList<>();

        @Option(names = "--add-cover-name", paramLabel = "NAME",
                description = "An innocuous name clients may show in their TLS ClientHello instead of the server's "
                        + "(for a censor that filters the server's name there); repeatable.")
        List<String> addCoverNames = new ArrayList<>();

        @Option(names = "--remove-cover-name", paramLabel = "NAME", description = "Stop advertising a cover name.")
        List<String> removeCoverNames = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(data.resolve(DescriptorPublisher.INVITE_FILE))) {
                throw new CommandLineException("No server in " + data.toAbsolutePath() + ": start one there first.");
            }
            InviteLink server = InviteLink.parse(Files.readString(data.resolve(DescriptorPublisher.INVITE_FILE)));
            for (String endpoint : addEndpoints) {
                parseEndpoint(endpoint, "--add-endpoint");
            }
            for (String relay : addRelays) {
                org.svyaz.protocol.RelayLink link = org.svyaz.protocol.RelayLink.parse(relay);
                if (!link.descriptor().getServerIdentityKey().equals(server.descriptor().getIdentityKey())) {
                    throw new CommandLineException("That relay forwards to another server.");
                }
            }
            for (String url : addDoh) {
                try {
                    org.svyaz.client.net.DohResolver.parse(url);
                } catch (IllegalArgumentException e) {
                    throw new CommandLineException("'" + url + "' is not a usable DNS-over-HTTPS resolver: "
                            + e.getMessage() + " (https://HOST/PATH, optionally #spki-sha256=PIN).");
                }
            }
            for (String name : addCoverNames) {
                if (!name.matches("[A-Za-z0-9]([A-Za-z0-9-]{0,62}\\.)+[A-Za-z]{2,63}")) {
                    throw new CommandLineException("A cover name is a DNS name such as www.example.com, not '" + name + "'.");
                }
            }
            DescriptorSettings settings = DescriptorSettings.load(data);
            settings.endpoints().addAll(addEndpoints);
            removeEndpoints.forEach(settings.endpoints()::remove);
            settings.relays().addAll(addRelays);
            removeRelays.forEach(settings.relays()::remove);
            settings.dohResolvers().addAll(addDoh);
            removeDoh.forEach(settings.dohResolvers()::remove);
            settings.coverNames().addAll(addCoverNames);
            removeCoverNames.forEach(settings.coverNames()::remove);
            settings.save(data);
            PrintWriter out = spec.commandLine().getOut();
            settings.endpoints().forEach(e -> out.println("endpoint " + e));
            settings.relays().forEach(r -> out.println("relay " + r));
            settings.dohResolvers().forEach(d -> out.println("doh " + d));
            settings.coverNames().forEach(c -> out.println("cover " + c));
            return ExitCodes.OK;
        }
    }
}
