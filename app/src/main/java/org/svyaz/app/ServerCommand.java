// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.svyaz.client.net.DohResolver;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.StorageSettings;
import org.svyaz.server.SvyazServer;
import org.svyaz.server.account.InviteCodes;
import org.svyaz.server.account.RegistrationPolicy;
import org.svyaz.server.cluster.RedisUnavailableException;
import org.svyaz.server.identity.DescriptorPublisher;
import org.svyaz.server.calls.TurnCredentialIssuer;
import org.svyaz.server.identity.DescriptorSettings;
import org.svyaz.server.identity.RelayGrants;
import org.svyaz.server.message.MessageLimits;
import org.svyaz.server.store.Storage;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.transport.TransportLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run a Svyaz server on the embedded store (SQLite in the data directory), or as one node of a "
                + "cluster on PostgreSQL and Redis (--config, SVYAZ_* variables).",
                "The first start creates the data directory, the server keys and a TLS certificate, and writes "
                        + "the invite link to DATA/invite.txt. SIGTERM (Ctrl-C) shuts down gracefully."},
        subcommands = {ServerCommand.InviteCommand.class, ServerCommand.DescriptorCommand.class,
                TokenOwnerCommand.class, TurnCommand.class})
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

    @Option(names = "--mailbox-strangers-max", paramLabel = "N",
            description = "How many of those messages may come from strangers (people the recipient has not written "
                    + "to); the rest stays open to its contacts (default: half of --mailbox-max).")
    Integer mailboxStrangersMax;

    @Option(names = "--mailbox-expiry-days", paramLabel = "DAYS", defaultValue = "30",
            description = "Undelivered messages older than this are deleted (default ${DEFAULT-VALUE}).")
    int mailboxExpiryDays;

    @Option(names = "--max-attachment-mb", paramLabel = "MiB", defaultValue = "100",
            description = "Largest attachment accepted, in MiB (default ${DEFAULT-VALUE}).")
    long maxAttachmentMib;

    @Option(names = "--attachment-expiry-days", paramLabel = "DAYS", defaultValue = "30",
            description = "Attachments older than this are deleted (default ${DEFAULT-VALUE}).")
    int attachmentExpiryDays;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "" + TransportLimits.DEFAULT_MAX_CONNECTIONS,
            description = "Connections open at once; more are closed as they arrive (default ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-connections-per-address", paramLabel = "N",
            defaultValue = "" + TransportLimits.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            description = "Connections open at once from one IPv4 address or IPv6 /64; half of them may be without "
                    + "credentials (default ${DEFAULT-VALUE}). Raise it when a relay on another machine, or a proxy on "
                    + "this one, carries more users: the server sees all of them come from the relay's address.")
    int maxConnectionsPerAddress;

    @Option(names = "--config", paramLabel = "FILE",
            description = {"YAML file with any of these options (long names without the dashes, e.g. send-burst: 100) "
                    + "and the storage: 'storage: postgres' with a 'postgres:' section (url, user, password, pool-size) "
                    + "and a 'redis:' section (url, cluster, prefix) for a cluster node. Flags given on the command "
                    + "line win over the file.",
                    "Environment variables win over the file for the storage: SVYAZ_STORAGE (embedded|postgres), "
                            + "SVYAZ_POSTGRES_URL, SVYAZ_POSTGRES_USER, SVYAZ_POSTGRES_PASSWORD, SVYAZ_POSTGRES_POOL_SIZE, "
                            + "SVYAZ_REDIS_URL (comma-separated for a Redis Cluster), SVYAZ_REDIS_CLUSTER (true|false), "
                            + "SVYAZ_REDIS_PREFIX. See the README, 'Running a cluster'."})
    Path configFile;

    @Override
    public Integer call() throws Exception {
        ServerConfig config = config(ServerSettings.load(Optional.ofNullable(configFile), System.getenv()));
        PrintWriter err = spec.commandLine().getErr();
        SvyazServer server;
        try {
            server = SvyazServer.start(config);
        } catch (BindException e) {
            throw new CommandLineException("Cannot listen on " + config.listen() + " (or the admin address "
                    + config.admin().map(Object::toString).orElse("off") + "): " + e.getMessage()
                    + ". Choose another with --listen / --admin.");
        } catch (StoreException e) {
            throw new UnreachableServiceException("Cannot open the " + config.storage().describe() + " storage: "
                    + sentence(e.getMessage()));
        } catch (RedisUnavailableException e) {
            throw new UnreachableServiceException(e.getMessage() + ".");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "svyaz-shutdown"));
        Path dataDir = config.dataDir();
        err.println("Svyaz server listening on " + server.address() + " (data in " + dataDir.toAbsolutePath()
                + ", storage " + config.storage().describe() + (config.redis().isPresent() ? ", Redis" : "") + ")");
        server.adminAddress().ifPresent(a -> err.println("Metrics on http://" + a.getHostString() + ":" + a.getPort()
                + "/metrics"));
        err.println("Registration: " + config.registration().name().toLowerCase()
                + (config.registration() == RegistrationPolicy.INVITE ? " (make codes with 'svyaz server invite')" : ""));
        err.println("Invite link (also in " + dataDir.resolve(DescriptorPublisher.INVITE_FILE) + "):");
        err.flush();
        spec.commandLine().getOut().println(server.inviteLink());
        spec.commandLine().getOut().flush();
        stopped.await();
        return ExitCodes.OK;
    }

    /** Defaults, then the file, then the environment (storage), then the flags given on the command line. */
    ServerConfig config(ServerSettings settings) throws CommandLineException {
        ServerFile file = settings.file();
        Path dataDir = given("--data") || file.data() == null ? data : Path.of(file.data());
        String listenAt = layered("--listen", listen, file.listen());
        String adminAt = layered("--admin", admin, file.admin());
        List<String> advertiseAt = given("--advertise") || file.advertise() == null ? advertise : file.advertise();
        int burst = layered("--send-burst", sendBurst, file.sendBurst());
        double perSecond = layered("--sends-per-second", sendsPerSecond, file.sendsPerSecond());
        int mailboxLimit = layered("--mailbox-max", mailboxMax, file.mailboxMax());
        int mailboxDays = layered("--mailbox-expiry-days", mailboxExpiryDays, file.mailboxExpiryDays());
        Integer strangersGiven = layered("--mailbox-strangers-max", mailboxStrangersMax, file.mailboxStrangersMax());
        int strangersMax = strangersGiven == null ? MessageLimits.defaultStrangerShare(mailboxLimit) : strangersGiven;
        long attachmentMib = layered("--max-attachment-mb", maxAttachmentMib, file.maxAttachmentMb());
        int attachmentDays = layered("--attachment-expiry-days", attachmentExpiryDays, file.attachmentExpiryDays());
        if (attachmentMib < 1 || attachmentMib > 1024 * 1024 || attachmentDays < 1) {
            throw new CommandLineException("--max-attachment-mb must be between 1 and 1048576, "
                    + "--attachment-expiry-days at least 1.");
        }
        if (mailboxLimit < 1 || mailboxDays < 1) {
            throw new CommandLineException("--mailbox-max and --mailbox-expiry-days must be at least 1.");
        }
        if (strangersMax < 1 || strangersMax > mailboxLimit) {
            throw new CommandLineException("--mailbox-strangers-max must be between 1 and --mailbox-max.");
        }
        int connections = layered("--max-connections", maxConnections, file.maxConnections());
        int perAddress = layered("--max-connections-per-address", maxConnectionsPerAddress,
                file.maxConnectionsPerAddress());
        if (connections < 1 || perAddress < 1) {
            throw new CommandLineException("--max-connections and --max-connections-per-address must be at least 1.");
        }
        if (burst < 1 || perSecond <= 0) {
            throw new CommandLineException("--send-burst must be at least 1 and --sends-per-second above 0.");
        }
        return ServerConfig.defaults(dataDir, parseAddress(listenAt, "--listen"))
                .withRegistration(parsePolicy(layered("--registration", registration, file.registration())))
                .withAdmin(adminAt.equalsIgnoreCase("off") ? Optional.empty() : Optional.of(parseAddress(adminAt, "--admin")))
                .withAdvertised(advertised(advertiseAt))
                .withSendLimit(burst, perSecond)
                .withMailbox(mailboxLimit, strangersMax, Duration.ofDays(mailboxDays))
                .withBlobs(attachmentMib * 1024 * 1024, Duration.ofDays(attachmentDays))
                .withConnectionLimits(connections, perAddress)
                .withStorage(settings.storage())
                .withRedis(settings.redis());
    }

    /** A driver's message as the end of a sentence: one full stop, not two. */
    static String sentence(String message) {
        String text = message == null ? "no reason given" : message.strip();
        return text.endsWith(".") ? text : text + ".";
    }

    /** Whether the flag was on the command line (then it wins over the file). */
    private boolean given(String option) {
        return spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private <T> T layered(String option, T flag, T fromFile) {
        return given(option) || fromFile == null ? flag : fromFile;
    }

    private static List<Endpoint> advertised(List<String> values) throws CommandLineException {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String value : values) {
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
                    "Works while the server runs. Share the printed link with one person. It carries "
                            + RelayGrants.PER_SUBJECT + " of the server's relays (if it has any), so it works where "
                            + "the server is blocked."})
    static final class InviteCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", description = "Server data directory (default: ./svyaz-data).")
        Path data = DEFAULT_DATA;

        @Option(names = "--config", paramLabel = "FILE",
                description = "The server's YAML file, for its data directory and storage (a cluster's PostgreSQL); "
                        + "SVYAZ_STORAGE and SVYAZ_POSTGRES_* apply as for 'svyaz server'.")
        Path configFile;

        @Option(names = "--valid-days", paramLabel = "DAYS", defaultValue = "7",
                description = "How long the code stays valid (default ${DEFAULT-VALUE}).")
        int validDays;

        @Override
        public Integer call() throws Exception {
            if (validDays < 1) {
                throw new CommandLineException("--valid-days must be at least 1.");
            }
            ExistingServer server = ExistingServer.open(spec, configFile, data);
            try (Storage storage = server.storage()) {
                String code = new InviteCodes(storage.accounts(), Clock.systemUTC())
                        .create(Duration.ofDays(validDays));
                // The invite carries relays of its own, so someone whose network blocks the server can
                // still register; the descriptor everyone may fetch names none.
                spec.commandLine().getOut().println(RelayGrants.invite(server.data(), code, Clock.systemUTC()));
            }
            return ExitCodes.OK;
        }
    }

    /** The data directory and storage of a server that was started before, for the commands beside it. */
    record ExistingServer(Path data, Storage storage) {
        /**
         * The data directory from {@code --data}, else from the YAML file, else the default; fails
         * clearly when no server was ever started there or its storage cannot be opened.
         */
        static ExistingServer open(CommandSpec spec, Path configFile, Path dataOption) throws Exception {
            ServerSettings settings = ServerSettings.load(Optional.ofNullable(configFile), System.getenv());
            boolean dataGiven = spec.commandLine().getParseResult().hasMatchedOption("--data");
            Path data = dataGiven || settings.file().data() == null ? dataOption : Path.of(settings.file().data());
            if (!Files.isRegularFile(data.resolve(DescriptorPublisher.INVITE_FILE))) {
                throw new CommandLineException("No server in " + data.toAbsolutePath()
                        + ": start one there with 'svyaz server --data " + data + "' first.");
            }
            StorageSettings storageSettings = settings.storage();
            try {
                return new ExistingServer(data, SvyazServer.openStorage(storageSettings, data));
            } catch (StoreException e) {
                throw new UnreachableServiceException("Cannot open the " + storageSettings.describe() + " storage: "
                        + sentence(e.getMessage()));
            }
        }
    }

    @Command(name = "descriptor", mixinStandardHelpOptions = true,
            description = {"Add or remove addresses, relays and DNS-over-HTTPS resolvers in the server's signed descriptor.",
                    "Clients learn the new descriptor the next time they connect; a running server re-signs within "
                            + "a minute. Without options, lists the current additions.",
                    "Relays stay out of the descriptor (anyone may fetch it): the server hands each account a few."})
    static final class DescriptorCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", description = "Server data directory (default: ./svyaz-data).")
        Path data = DEFAULT_DATA;

        @Option(names = "--add-endpoint", paramLabel = "HOST:PORT", description = "An address clients may use; repeatable.")
        List<String> addEndpoints = new ArrayList<>();

        @Option(names = "--remove-endpoint", paramLabel = "HOST:PORT", description = "Stop advertising an address.")
        List<String> removeEndpoints = new ArrayList<>();

        @Option(names = "--add-relay", paramLabel = "RELAY_LINK",
                description = "A relay for this server, as 'svyaz relay' printed its link; repeatable. Relays are not "
                        + "published: each account gets " + RelayGrants.PER_SUBJECT + " of them, and each invite "
                        + "link carries " + RelayGrants.PER_SUBJECT + ", with tokens that expire.")
        List<String> addRelays = new ArrayList<>();

        @Option(names = "--remove-relay", paramLabel = "RELAY_LINK", description = "Stop handing out a relay.")
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

        @Option(names = "--add-turn", paramLabel = "URI",
                description = "A TURN server for calls, such as turn:turn.example.com:3478?transport=udp, that checks "
                        + "the secret in DATA/turn-secret (made if missing); 'svyaz server turn' sets up coturn so.")
        List<String> addTurn = new ArrayList<>();

        @Option(names = "--remove-turn", paramLabel = "URI", description = "Stop handing out a TURN server.")
        List<String> removeTurn = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            boolean started = Files.isRegularFile(data.resolve(DescriptorPublisher.INVITE_FILE));
            // Addresses may be written before the first start (the nodes of a cluster list each other
            // from the beginning); a relay is checked against the server's key, which needs a server.
            if (!started && !addRelays.isEmpty()) {
                throw new CommandLineException("No server in " + data.toAbsolutePath() + ": start one there before "
                        + "adding a relay.");
            }
            for (String endpoint : addEndpoints) {
                parseEndpoint(endpoint, "--add-endpoint");
            }
            for (String relay : addRelays) {
                InviteLink server = InviteLink.parse(Files.readString(data.resolve(DescriptorPublisher.INVITE_FILE)));
                RelayLink link = RelayLink.parse(relay);
                if (!link.descriptor().getServerIdentityKey().equals(server.descriptor().getIdentityKey())) {
                    throw new CommandLineException("That relay forwards to another server.");
                }
                if (link.granted()) {
                    throw new CommandLineException("That link carries a token a server handed out, not the relay's "
                            + "secret: add the link 'svyaz relay' printed when it first started.");
                }
            }
            for (String url : addDoh) {
                try {
                    DohResolver.parse(url);
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
            for (String uri : addTurn) {
                if (!uri.matches("turns?:(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):\\d{1,5}(\\?transport=(udp|tcp))?")) {
                    throw new CommandLineException("A TURN server is a URI such as turn:HOST:3478?transport=udp "
                            + "or turns:HOST:443?transport=tcp, not '" + uri + "'.");
                }
            }
            Files.createDirectories(data);
            if (!addTurn.isEmpty()) {
                TurnCredentialIssuer.secret(data);
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
            settings.turnUris().addAll(addTurn);
            removeTurn.forEach(settings.turnUris()::remove);
            settings.save(data);
            PrintWriter out = spec.commandLine().getOut();
            settings.endpoints().forEach(e -> out.println("endpoint " + e));
            settings.relays().forEach(r -> out.println("relay " + r));
            settings.dohResolvers().forEach(d -> out.println("doh " + d));
            settings.coverNames().forEach(c -> out.println("cover " + c));
            settings.turnUris().forEach(t -> out.println("turn " + t));
            return ExitCodes.OK;
        }
    }
}
