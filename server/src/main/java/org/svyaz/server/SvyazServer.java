// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.server.account.AccountService;
import org.svyaz.server.account.ProfileService;
import org.svyaz.server.api.Caller;
import org.svyaz.server.api.DescriptorRoute;
import org.svyaz.server.api.Dispatcher;
import org.svyaz.server.api.Routes;
import org.svyaz.server.cluster.NodeLinks;
import org.svyaz.server.calls.TurnCredentialIssuer;
import org.svyaz.server.identity.DescriptorKeeper;
import org.svyaz.server.identity.RelayGrants;
import org.svyaz.server.identity.KeyCreationLock;
import org.svyaz.server.identity.SenderCertificateIssuer;
import org.svyaz.server.identity.ServerIdentity;
import org.svyaz.server.keys.KeyService;
import org.svyaz.server.message.ConnectedDevices;
import org.svyaz.server.message.DeliveryRegistry;
import org.svyaz.server.message.DeviceAddress;
import org.svyaz.server.message.DeviceDelivery;
import org.svyaz.server.message.MessageMetrics;
import org.svyaz.server.message.MessageService;
import org.svyaz.server.message.SendLimiters;
import org.svyaz.server.metrics.AdminServer;
import org.svyaz.server.sealed.SealedSenderService;
import org.svyaz.server.store.BlobStore;
import org.svyaz.server.store.Storage;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.files.DirectoryBlobStore;
import org.svyaz.server.store.postgres.PostgresStorage;
import org.svyaz.server.store.sqlite.EmbeddedStorage;
import org.svyaz.server.limits.RateLimit;
import org.svyaz.server.transport.BlobLimits;
import org.svyaz.server.transport.FrameHandler;
import org.svyaz.server.transport.TransportServer;

/**
 * A running Svyaz server: storage, services, the TLS/WebSocket transport and the admin port.
 * {@link #close()} shuts down gracefully: stop accepting, answer in-flight requests, close
 * connections, flush the store.
 */
public final class SvyazServer implements AutoCloseable {
    /** Attachments live under DATA/blobs. */
    public static final String BLOB_DIRECTORY = "blobs";
    private static final Logger log = LoggerFactory.getLogger(SvyazServer.class);

    private final ServerConfig config;
    private final Storage storage;
    private final ExecutorService workers;
    private final ScheduledExecutorService housekeeping;
    private final ConnectedDevices connected;
    private final TransportServer transport;
    private final Optional<AdminServer> admin;
    private final DescriptorKeeper descriptors;
    private final MeterRegistry metrics;
    private final MessageMetrics messageMetrics;
    private final NodeLinks links;
    private volatile boolean closed;

    private SvyazServer(ServerConfig config, Storage storage, ExecutorService workers,
                        ScheduledExecutorService housekeeping, ConnectedDevices connected, TransportServer transport,
                        Optional<AdminServer> admin, DescriptorKeeper descriptors, MeterRegistry metrics,
                        MessageMetrics messageMetrics, NodeLinks links) {
        this.config = config;
        this.storage = storage;
        this.workers = workers;
        this.housekeeping = housekeeping;
        this.connected = connected;
        this.transport = transport;
        this.admin = admin;
        this.descriptors = descriptors;
        this.metrics = metrics;
        this.messageMetrics = messageMetrics;
        this.links = links;
    }

    /**
     * Starts on the configured storage: the embedded SQLite store in the data directory, or the
     * cluster's PostgreSQL database (failing within its connect timeout when it does not answer).
     */
    public static SvyazServer start(ServerConfig config) throws IOException, StoreException, InterruptedException {
        return start(config, openStorage(config.storage(), config.dataDir()));
    }

    /** Opens {@code settings}' storage; the embedded one lives in {@code dataDir}. */
    public static Storage openStorage(StorageSettings settings, Path dataDir) throws IOException, StoreException {
        return switch (settings) {
            case StorageSettings.Embedded embedded -> {
                Files.createDirectories(dataDir);
                restrictToOwner(dataDir); // before svyaz.db is made in it
                yield EmbeddedStorage.open(dataDir);
            }
            case StorageSettings.Postgres postgres -> PostgresStorage.open(postgres.settings());
        };
    }

    /**
     * Starts on {@code storage} (for example a {@code PostgresStorage}); the data directory still holds
     * the server's keys and the blobs. The server owns the storage from here on: it closes it when it
     * stops, or at once when starting fails.
     */
    public static SvyazServer start(ServerConfig config, Storage storage)
            throws IOException, StoreException, InterruptedException {
        try {
            return startOn(config, storage);
        } catch (IOException | StoreException | InterruptedException | RuntimeException e) {
            storage.close(); // a second close after startOn's own clean-up is harmless
            throw e;
        }
    }

    private static SvyazServer startOn(ServerConfig config, Storage storage)
            throws IOException, StoreException, InterruptedException {
        Files.createDirectories(config.dataDir());
        restrictToOwner(config.dataDir());
        ServerIdentity identity;
        SenderCertificateIssuer certificates;
        RelayGrants relayGrants;
        // Nodes of a cluster share the data directory and must present one identity: one node makes the keys.
        try (KeyCreationLock lock = KeyCreationLock.acquire(config.dataDir())) {
            identity = ServerIdentity.loadOrCreate(config.dataDir());
            certificates = SenderCertificateIssuer.loadOrCreate(config.dataDir(), config.clock());
            relayGrants = RelayGrants.open(config.dataDir(), config.clock());
        }
        BlobStore blobs = DirectoryBlobStore.open(config.dataDir().resolve(BLOB_DIRECTORY));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("svyaz-worker-", 0).factory());
        ConnectedDevices connected = new ConnectedDevices();
        MessageMetrics messageMetrics = new MessageMetrics(metrics);
        NodeLinks links;
        try {
            links = NodeLinks.open(config.redis(), connected, config.sendBurst(), config.sendsPerSecond(),
                    config.clock());
        } catch (IOException | RuntimeException e) {
            workers.shutdownNow();
            throw e;
        }

        KeyService keyService = new KeyService(storage.accounts(), storage.keys(), links.preKeyFetches());
        AccountService accountService = new AccountService(storage.accounts(), keyService, config.registration(),
                links.usernameLookups(), config.clock());
        DeliveryRegistry deliveries = new DeliveryRegistry(connected, links.remoteDevices());
        MessageService messageService = new MessageService(storage.accounts(), storage.mailbox(), deliveries,
                new SendLimiters(links.sends(), links.sealedSends(), links.limiter(config.recipientLimit()),
                        links.limiter(config.pairLimit()), links.limiter(config.inboundBytesLimit())),
                config.messages(), config.clock(), messageMetrics);
        DescriptorRoute descriptorRoute = new DescriptorRoute();
        Dispatcher dispatcher = Routes.dispatcher(metrics, accountService, keyService, messageService,
                new SealedSenderService(storage.accounts(), certificates), new ProfileService(storage.accounts()),
                descriptorRoute, relayGrants, new TurnCredentialIssuer(config.dataDir(), config.clock()));
        metrics.gauge("svyaz.connections.devices", connected, ConnectedDevices::size);
        Counter delivered = metrics.counter("svyaz.messages.delivered");

        FrameHandler.SessionListener sessions = (caller, session) -> {
            DeviceDelivery delivery = new DeviceDelivery(new DeviceAddress(caller.accountId(), caller.deviceId()),
                    session, storage.mailbox(), workers, delivered);
            DeliveryRegistry.Registration registration = deliveries.register(delivery);
            delivery.wake();
            return registration;
        };

        TransportServer transport = null;
        Optional<AdminServer> admin = Optional.empty();
        try {
            transport = TransportServer.start(config.listen(), identity.tlsKey(), identity.tlsCertificate(),
                    accountService::authenticate, dispatcher, workers, sessions, config.transport(),
                    blobs, new BlobLimits(config.maxBlobBytes(), links.limiter(RateLimit.BLOB_UPLOADS),
                            links.limiter(config.blobQuota()), config.blobQuotaBytes()));
            if (config.admin().isPresent()) {
                admin = Optional.of(AdminServer.start(config.admin().get(), metrics));
            }
            List<Endpoint> endpoints = config.advertised().isEmpty()
                    ? deriveEndpoints(config.listen().getAddress(), transport.address().getPort())
                    : config.advertised();
            DescriptorKeeper descriptors = new DescriptorKeeper(identity, certificates.trustRoot().serialize(), endpoints,
                    config.dataDir(), config.clock(), relayGrants);
            descriptorRoute.serve(descriptors);
            ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("svyaz-housekeeping").daemon(true).factory());
            housekeeping.scheduleWithFixedDelay(() -> expireMailboxes(storage, config), 1, 60, TimeUnit.MINUTES);
            housekeeping.scheduleWithFixedDelay(() -> expireBlobs(blobs, config), 1, 60, TimeUnit.MINUTES);
            housekeeping.scheduleWithFixedDelay(descriptors::refreshIfChanged, 1, 1, TimeUnit.MINUTES);
            log.info("server started: registration {}, {} advertised endpoint(s), metrics {}, storage {}, redis {}",
                    config.registration().name().toLowerCase(), endpoints.size(), admin.isPresent() ? "on" : "off",
                    config.storage().describe(), config.redis().isPresent() ? "on" : "off");
            return new SvyazServer(config, storage, workers, housekeeping, connected, transport, admin, descriptors,
                    metrics, messageMetrics, links);
        } catch (IOException | InterruptedException | RuntimeException e) {
            admin.ifPresent(AdminServer::close);
            if (transport != null) {
                transport.close();
            }
            links.close();
            workers.shutdownNow();
            storage.close();
            throw e;
        }
    }

    /** The data directory holds keys and metadata: other local users have no business reading it. */
    private static void restrictToOwner(Path dataDir) throws IOException {
        try {
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            log.warn("this file system has no POSIX permissions; restrict access to the data directory yourself");
        }
    }

    /** Attachments go after the configured time; uploads nobody resumed for a day go too. */
    private static void expireBlobs(BlobStore blobs, ServerConfig config) {
        try {
            Instant now = config.clock().instant();
            blobs.deleteExpired(now.minus(config.blobExpiry()), now.minus(Duration.ofDays(1)));
        } catch (StoreException e) {
            log.warn("expiring old attachments failed; will retry", e);
        }
    }

    private static void expireMailboxes(Storage storage, ServerConfig config) {
        try {
            storage.mailbox().deleteOlderThan(config.clock().millis() - config.mailboxExpiry().toMillis());
        } catch (StoreException e) {
            log.warn("expiring old mailbox entries failed; will retry", e);
        }
    }

    /** A wildcard listen address advertises every usable interface address, loopback last. */
    static List<Endpoint> deriveEndpoints(InetAddress listen, int port) throws SocketException {
        List<InetAddress> addresses = new ArrayList<>();
        if (listen.isAnyLocalAddress()) {
            for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!network.isUp()) {
                    continue;
                }
                for (InetAddress address : Collections.list(network.getInetAddresses())) {
                    boolean ipv6Wildcard = listen instanceof Inet6Address;
                    if (!address.isLinkLocalAddress() && (ipv6Wildcard || !(address instanceof Inet6Address))) {
                        addresses.add(address);
                    }
                }
            }
            addresses.sort((a, b) -> Boolean.compare(a.isLoopbackAddress(), b.isLoopbackAddress()));
        } else {
            addresses.add(listen);
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (InetAddress address : addresses) {
            endpoints.add(Endpoint.newBuilder().setHost(address.getHostAddress().replaceAll("%.*$", "")).setPort(port).build());
        }
        return endpoints;
    }

    /** The invite link with the current signed descriptor. */
    public InviteLink inviteLink() {
        return descriptors.current();
    }

    /** Re-signs the descriptor now (after the operator changed its settings); returns the new link. */
    public InviteLink republishDescriptor() throws IOException {
        return descriptors.republish();
    }

    public InetSocketAddress address() {
        return transport.address();
    }

    public Optional<InetSocketAddress> adminAddress() {
        return admin.map(AdminServer::address);
    }

    public ServerConfig config() {
        return config;
    }

    /** Every meter this server keeps (also served on the admin port when that is on). */
    public MeterRegistry meterRegistry() {
        return metrics;
    }

    /** The send and storage counters, readable without knowing meter names. */
    public MessageMetrics messageMetrics() {
        return messageMetrics;
    }

    /** Graceful shutdown; safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        transport.stopAccepting();
        try {
            if (!transport.awaitRequests(config.shutdownGrace())) {
                log.warn("shutting down with requests still in flight after {}", config.shutdownGrace());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (DeviceDelivery delivery : connected.all()) {
            delivery.channel().close(1001, "server shutting down");
        }
        transport.close();
        admin.ifPresent(AdminServer::close);
        housekeeping.shutdownNow();
        links.close(); // after the connections: their devices leave Redis with it
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        storage.close();
        log.info("server stopped");
    }
}
