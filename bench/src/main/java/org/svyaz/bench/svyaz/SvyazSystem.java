// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.svyaz;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.accounts.AccountRegistrar;
import org.svyaz.bench.accounts.BenchAccount;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.MessagingSystem;
import org.svyaz.bench.relay.SendRefusedException;
import org.svyaz.bench.relay.ServerUnderTest;
import org.svyaz.bench.relay.UserSession;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.PushHandler;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.client.net.SharedConnectionSettings;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SendRequest;

/**
 * Svyaz under load: registered accounts, the real pinned-TLS WebSocket client, identified sends to
 * the recipient's only device, with content from a {@link PayloadCipher}: the opaque payload, or
 * the payload encrypted end to end with libsignal. The server answers a send once the message is
 * committed to its store; every push is acknowledged, so the server deletes it, as a client does.
 * All users share two event loop threads, so the tool's own cost stays small next to the server's
 * (in the end-to-end mode, decryption runs on those threads too). For scenarios that encrypt with
 * libsignal themselves (the group fan-out), users can keep their keys, and a session carries any
 * other request of the API too.
 */
public final class SvyazSystem implements MessagingSystem {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How long a benchmark connection may hear nothing before it pings (and, after as long again,
     * gives up). The interactive client's few seconds are for noticing a censor's frozen flow; a
     * saturated benchmark keeps sends queued for longer than that, and with them the connection
     * quiet: at window 64 the client's own stall detection closed 500 of 1,000 connections.
     */
    private static final Duration QUIET_UNDER_LOAD = Duration.ofSeconds(30);
    private static final Response OK = Response.newBuilder().setError(ErrorCode.OK).build();

    private final ServerUnderTest server;
    private final PayloadCipher cipher;
    private final boolean keepKeys;
    private final EventLoopGroup eventLoops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<InetAddress> sourceAddresses;
    private final Optional<Duration> quietBeforePing;
    private volatile List<BenchAccount> accounts = List.of();

    /** Sends the payload as it is ({@link OpaquePayloadCipher}); users keep no keys. */
    public SvyazSystem(ServerUnderTest server) {
        this(server, new OpaquePayloadCipher(), false, List.of(), Optional.empty());
    }

    /** Content from {@code cipher}: the opaque payload, or the payload encrypted end to end. */
    public SvyazSystem(ServerUnderTest server, PayloadCipher cipher) {
        this(server, cipher, false, List.of(), Optional.empty());
    }

    /** With {@code keepKeys}, every user keeps its key material in memory, for scenarios that encrypt. */
    public SvyazSystem(ServerUnderTest server, boolean keepKeys) {
        this(server, new OpaquePayloadCipher(), keepKeys, List.of(), Optional.empty());
    }

    private SvyazSystem(ServerUnderTest server, PayloadCipher cipher, boolean keepKeys,
                        List<InetAddress> sourceAddresses, Optional<Duration> quietBeforePing) {
        this.server = server;
        this.cipher = cipher;
        this.keepKeys = keepKeys;
        this.sourceAddresses = List.copyOf(sourceAddresses);
        this.quietBeforePing = quietBeforePing;
    }

    /**
     * For many idle connections: user i connects from {@code sourceAddresses[i % n]} (each source
     * address has only about 28,000 ports towards the server's one), and a connection that hears
     * nothing pings the server after {@code quietBeforePing}, as a phone keeping a connection would,
     * instead of the interactive client's few seconds.
     */
    public static SvyazSystem forIdleConnections(ServerUnderTest server, List<InetAddress> sourceAddresses,
                                                 Duration quietBeforePing) {
        return new SvyazSystem(server, new OpaquePayloadCipher(), false, sourceAddresses,
                Optional.of(quietBeforePing));
    }

    @Override
    public String description() {
        return "Svyaz, " + server.description();
    }

    @Override
    public String payload() {
        return cipher.mode();
    }

    @Override
    public List<String> notes() {
        return cipher.notes();
    }

    @Override
    public List<Long> serverPids() {
        return server.pids();
    }

    @Override
    public void createUsers(int users) throws BenchException {
        List<BenchAccount> registered = new AccountRegistrar(server.link())
                .register(users, keepKeys || cipher.needsKeys());
        cipher.usersCreated(registered);
        accounts = registered;
    }

    /** The users {@link #createUsers} made, in index order. */
    public List<BenchAccount> accounts() {
        return accounts;
    }

    /** The server's invite link (the first node's): what a client knows of it, its trust root included. */
    public InviteLink link() {
        return server.link();
    }

    @Override
    public Session logIn(int user, Inbox inbox) throws BenchException {
        BenchAccount account = accounts.get(user);
        CompletableFuture<Void> live = new CompletableFuture<>();
        PushHandler pushes = push -> onPush(push, user, inbox, live);
        ServerConnection connection;
        try {
            connection = ServerConnection.connectShared(server.linkFor(user), Optional.of(account.credentials()),
                    pushes, CONNECT_TIMEOUT, connectionSettings(user));
        } catch (ConnectionException e) {
            throw new BenchException("A user could not log in: " + e.getMessage(), e);
        }
        try {
            // The server says so once the (empty) mailbox is drained: from then on delivery is live.
            live.get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            connection.close();
            throw new BenchException("A user's connection did not start receiving within "
                    + CONNECT_TIMEOUT.toSeconds() + " s.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connection.close();
            throw new BenchException("Interrupted while logging a user in.", e);
        }
        return new Session(user, connection);
    }

    private SharedConnectionSettings connectionSettings(int user) {
        return new SharedConnectionSettings(eventLoops,
                sourceAddresses.isEmpty() ? Optional.empty()
                        : Optional.of(sourceAddresses.get(user % sourceAddresses.size())),
                quietBeforePing.orElse(QUIET_UNDER_LOAD));
    }

    @Override
    public void close() {
        eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private Response onPush(Request push, int user, Inbox inbox, CompletableFuture<Void> live) {
        switch (push.getPath()) {
            case ApiPaths.PUSH_MESSAGE -> {
                Envelope envelope;
                try {
                    envelope = Envelope.parseFrom(push.getBody());
                } catch (InvalidProtocolBufferException e) {
                    inbox.arrived(new byte[0]); // counted as foreign by the scenario
                    return OK;
                }
                cipher.open(user, envelope, inbox);
                return OK;
            }
            case ApiPaths.PUSH_QUEUE_EMPTY -> {
                live.complete(null);
                return OK;
            }
            default -> {
                return Response.newBuilder().setError(ErrorCode.NOT_FOUND).build();
            }
        }
    }

    /** One user's connection; besides the scenario's sends it carries any other request of the API. */
    public final class Session implements UserSession {
        private final int user;
        private final ServerConnection connection;

        private Session(int user, ServerConnection connection) {
            this.user = user;
            this.connection = connection;
        }

        /** Any request of the API as this user; completes with the answer, or fails when the connection drops. */
        public CompletableFuture<Response> request(String path, Message body) {
            return connection.request(path, body);
        }

        @Override
        public CompletableFuture<Void> send(int recipient, byte[] blob) {
            PayloadCipher.Sealed sealed;
            try {
                sealed = cipher.seal(user, recipient, blob);
            } catch (BenchException e) {
                return CompletableFuture.failedFuture(new SendRefusedException("ENCRYPTION"));
            }
            return connection.request(ApiPaths.MESSAGES_SEND, sendRequest(accounts.get(recipient), sealed))
                    .handle((response, failure) -> {
                        if (failure != null) {
                            throw new SendRefusedException("CONNECTION");
                        }
                        if (response.getError() != ErrorCode.OK) {
                            throw new SendRefusedException(response.getError().name());
                        }
                        return null;
                    });
        }

        @Override
        public void stopReading() {
            connection.stopReading();
        }

        @Override
        public boolean isOpen() {
            return connection.isOpen();
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    /** An identified send of one message to the recipient's only device. */
    private static SendRequest sendRequest(BenchAccount recipient, PayloadCipher.Sealed sealed) {
        return SendRequest.newBuilder()
                .setDestination(Uuids.toByteString(recipient.accountId()))
                .setTimestamp(System.currentTimeMillis())
                .addMessages(OutgoingMessage.newBuilder()
                        .setDeviceId(recipient.credentials().deviceId())
                        .setRegistrationId(recipient.registrationId())
                        .setType(sealed.type())
                        .setContent(ByteString.copyFrom(sealed.content())))
                .build();
    }
}
