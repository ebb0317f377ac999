// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.wire.GetProfileRequest;
import org.svyaz.protocol.wire.KeyCountRequest;
import org.svyaz.protocol.wire.KeyUpload;
import org.svyaz.protocol.wire.KeyUploadResponse;
import org.svyaz.protocol.wire.MultiRecipientSendRequest;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.RegisterRequest;
import org.svyaz.protocol.wire.ResetIdentityRequest;
import org.svyaz.protocol.wire.SealedSendRequest;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.protocol.wire.SetProfileRequest;
import org.svyaz.protocol.wire.SenderCertificateRequest;
import org.svyaz.protocol.wire.UsernameLookupRequest;
import org.svyaz.server.account.AccountService;
import org.svyaz.server.account.InviteCodes;
import org.svyaz.server.account.ProfileService;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.Caller;
import org.svyaz.server.api.Dispatcher;
import org.svyaz.server.api.RequestHandler;
import org.svyaz.server.identity.DescriptorKeeper;
import org.svyaz.server.identity.KeyCreationLock;
import org.svyaz.server.identity.SenderCertificateIssuer;
import org.svyaz.server.identity.ServerIdentity;
import org.svyaz.server.sealed.SealedSenderService;
import org.svyaz.server.keys.KeyService;
import org.svyaz.server.cluster.NodeLinks;
import org.svyaz.server.message.ConnectedDevices;
import org.svyaz.server.message.DeviceAddress;
import org.svyaz.server.message.DeviceDelivery;
import org.svyaz.server.message.MessageMetrics;
import org.svyaz.server.message.MessageService;
import org.svyaz.server.metrics.AdminServer;
import org.svyaz.server.store.BlobStore;
import org.svyaz.server.store.Storage;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.files.DirectoryBlobStore;
import org.svyaz.server.store.postgres.PostgresStorage;
import org.svyaz.server.store.sqlite.EmbeddedStorage;
import org.svyaz.server.transport.FrameHandler;
import org.svyaz.server.transport.TransportServer;
import org.svyaz.server.transport.WebSocketSession;

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
        // Nodes of a cluster share the data directory and must present one identity: one node makes the keys.
        try (KeyCreationLock lock = KeyCreationLock.acquire(config.dataDir())) {
            identity = ServerIdentity.loadOrCreate(config.dataDir());
            certificates = SenderCertificateIssuer.loadOrCreate(config.dataDir(), config.clock());
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

        KeyService keyService = new KeyService(storage.accounts(), storage.keys());
        AccountService accountService = new AccountService(storage.accounts(), keyService, config.registration(),
                config.clock());
        MessageService messageService = new MessageService(storage.accounts(), storage.mailbox(), connected,
                links.sends(), links.sealedSends(), config.messages(), config.clock(), messageMetrics);
        SealedSenderService sealedSender = new SealedSenderService(storage.accounts(), certificates);
        ProfileService profiles = new ProfileService(storage.accounts());
        java.util.concurrent.atomic.AtomicReference<DescriptorKeeper> descriptorHolder =
                new java.util.concurrent.atomic.AtomicReference<>();
        Dispatcher dispatcher = routes(new Dispatcher(metrics), accountService, keyService, messageService, sealedSender,
                profiles)
                .anonymous(ApiPaths.DESCRIPTOR, (caller, body) -> {
                    RequestHandler.parse(org.svyaz.protocol.wire.DescriptorRequest.parser(), body);
                    if (descriptorHolder.get() == null) {
                        throw ApiException.unavailable(); // the first moments of start-up
                    }
                    return org.svyaz.protocol.wire.DescriptorResponse.newBuilder()
                            .setSignedDescriptor(descriptorHolder.get().current().signed().toByteString())
                            .build();
                });
        metrics.gauge("svyaz.connections.devices", connected, ConnectedDevices::size);
        Counter delivered = metrics.counter("svyaz.messages.delivered");

        FrameHandler.SessionListener sessions = new FrameHandler.SessionListener() {
            @Override
            public void opened(Caller caller, WebSocketSession session) {
                DeviceDelivery delivery = new DeviceDelivery(new DeviceAddress(caller.accountId(), caller.deviceId()),
                        session, storage.mailbox(), workers, delivered);
                session.attach(delivery);
                DeviceDelivery previous = connected.register(delivery);
                if (previous != null) {
                    previous.channel().close(4001, "replaced by a newer connection of this device");
                }
                delivery.wake();
            }

            @Override
            public void closed(Caller caller, WebSocketSession session) {
                session.attached().ifPresent(connected::unregister);
            }
        };

        TransportServer transport = null;
        Optional<AdminServer> admin = Optional.empty();
        try {
            transport = TransportServer.start(config.listen(), identity.tlsKey(), identity.tlsCertificate(),
                    accountService::authenticate, dispatcher, workers, sessions, config.transport(),
                    blobs, config.maxBlobBytes());
            if (config.admin().isPresent()) {
                admin = Optional.of(AdminServer.start(config.admin().get(), metrics));
            }
            List<Endpoint> endpoints = config.advertised().isEmpty()
                    ? deriveEndpoints(config.listen().getAddress(), transport.address().getPort())
                    : config.advertised();
            DescriptorKeeper descriptors = new DescriptorKeeper(identity, certificates.trustRoot().serialize(), endpoints,
                    config.dataDir(), config.clock());
            descriptorHolder.set(descriptors);
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
            Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            log.warn("this file system has no POSIX permissions; restrict access to the data directory yourself");
        }
    }

    private static Dispatcher routes(Dispatcher dispatcher, AccountService accounts, KeyService keys,
                                     MessageService messages, SealedSenderService sealedSender,
                                     ProfileService profiles) {
        return dispatcher
                .anonymous(ApiPaths.REGISTER,
                        (caller, body) -> accounts.register(RequestHandler.parse(RegisterRequest.parser(), body)))
                .authenticated(ApiPaths.RESET_IDENTITY,
                        (caller, body) -> accounts.resetIdentity(caller, RequestHandler.parse(ResetIdentityRequest.parser(), body)))
                .authenticated(ApiPaths.PROFILE_SET,
                        (caller, body) -> profiles.set(caller, RequestHandler.parse(SetProfileRequest.parser(), body)))
                .anonymous(ApiPaths.PROFILE_GET,
                        (caller, body) -> profiles.get(caller, RequestHandler.parse(GetProfileRequest.parser(), body)))
                .authenticated(ApiPaths.USERNAME_LOOKUP,
                        (caller, body) -> accounts.lookup(RequestHandler.parse(UsernameLookupRequest.parser(), body)))
                .authenticated(ApiPaths.KEYS_UPLOAD, (caller, body) -> {
                    keys.upload(caller, RequestHandler.parse(KeyUpload.parser(), body));
                    return KeyUploadResponse.getDefaultInstance();
                })
                .authenticated(ApiPaths.KEYS_COUNT, (caller, body) -> {
                    RequestHandler.parse(KeyCountRequest.parser(), body);
                    return keys.count(caller);
                })
                .authenticated(ApiPaths.KEYS_BUNDLE,
                        (caller, body) -> keys.bundle(RequestHandler.parse(PreKeyBundleRequest.parser(), body)))
                .authenticated(ApiPaths.MESSAGES_SEND,
                        (caller, body) -> messages.send(caller, RequestHandler.parse(SendRequest.parser(), body)))
                .anonymous(ApiPaths.MESSAGES_SEND_SEALED,
                        (caller, body) -> messages.sendSealed(RequestHandler.parse(SealedSendRequest.parser(), body)))
                .authenticated(ApiPaths.MESSAGES_SEND_MULTI, (caller, body) -> messages.sendMultiRecipient(caller,
                        RequestHandler.parse(MultiRecipientSendRequest.parser(), body)))
                .anonymous(ApiPaths.MESSAGES_SEND_MULTI_SEALED, (caller, body) -> messages.sendMultiRecipientSealed(
                        RequestHandler.parse(MultiRecipientSendRequest.parser(), body)))
                .authenticated(ApiPaths.SENDER_CERTIFICATE, (caller, body) -> {
                    RequestHandler.parse(SenderCertificateRequest.parser(), body);
                    return sealedSender.certificate(caller);
                })
                .authenticated(ApiPaths.SEALED_SENDER_ACCESS, (caller, body) -> sealedSender.setAccess(caller,
                        RequestHandler.parse(org.svyaz.protocol.wire.SealedSenderAccess.parser(), body)));
    }

    /** Attachments go after the configured time; uploads nobody resumed for a day go too. */
    private static void expireBlobs(BlobStore blobs, ServerConfig config) {
        try {
            java.time.Instant now = config.clock().instant();
            blobs.deleteExpired(now.minus(config.blobExpiry()), now.minus(java.time.Duration.ofDays(1)));
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

    /** Makes a one-time invite link valid for {@code validity}. */
    public InviteLink createInvite(Duration validity) throws StoreException {
        String code = new InviteCodes(storage.accounts(), config.clock()).create(validity);
        InviteLink link = descriptors.current();
        return new InviteLink(link.signed(), link.descriptor(), Optional.of(code));
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
