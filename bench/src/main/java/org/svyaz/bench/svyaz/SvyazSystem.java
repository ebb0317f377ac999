// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.svyaz;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
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
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SendRequest;

/**
 * Svyaz under load: registered accounts, the real pinned-TLS WebSocket client, identified sends of
 * opaque CIPHERTEXT to the recipient's only device. The server answers a send once the message is
 * committed to its store; every push is acknowledged, so the server deletes it, as a client does.
 * All users share two event loop threads, so the tool's own cost stays small next to the server's.
 */
public final class SvyazSystem implements MessagingSystem {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Response OK = Response.newBuilder().setError(ErrorCode.OK).build();

    private final ServerUnderTest server;
    private final EventLoopGroup eventLoops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private volatile List<BenchAccount> accounts = List.of();

    public SvyazSystem(ServerUnderTest server) {
        this.server = server;
    }

    @Override
    public String description() {
        return "Svyaz, " + server.description();
    }

    @Override
    public List<Long> serverPids() {
        return server.pids();
    }

    @Override
    public void createUsers(int users) throws BenchException {
        accounts = new AccountRegistrar(server.link()).register(users);
    }

    @Override
    public UserSession logIn(int user, Inbox inbox) throws BenchException {
        BenchAccount account = accounts.get(user);
        CompletableFuture<Void> live = new CompletableFuture<>();
        PushHandler pushes = push -> onPush(push, inbox, live);
        ServerConnection connection;
        try {
            connection = ServerConnection.connectShared(server.linkFor(user), Optional.of(account.credentials()),
                    pushes, CONNECT_TIMEOUT, eventLoops);
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
        return new Session(connection);
    }

    @Override
    public void close() {
        eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private static Response onPush(Request push, Inbox inbox, CompletableFuture<Void> live) {
        switch (push.getPath()) {
            case ApiPaths.PUSH_MESSAGE -> {
                byte[] content;
                try {
                    content = Envelope.parseFrom(push.getBody()).getContent().toByteArray();
                } catch (InvalidProtocolBufferException e) {
                    content = new byte[0]; // counted as foreign by the scenario
                }
                inbox.arrived(content);
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

    private final class Session implements UserSession {
        private final ServerConnection connection;

        Session(ServerConnection connection) {
            this.connection = connection;
        }

        @Override
        public CompletableFuture<Void> send(int recipient, byte[] blob) {
            return connection.request(ApiPaths.MESSAGES_SEND, sendRequest(accounts.get(recipient), blob))
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
        public boolean isOpen() {
            return connection.isOpen();
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    /** An identified send of one opaque message to the recipient's only device, as CIPHERTEXT. */
    private static SendRequest sendRequest(BenchAccount recipient, byte[] blob) {
        return SendRequest.newBuilder()
                .setDestination(Uuids.toByteString(recipient.accountId()))
                .setTimestamp(System.currentTimeMillis())
                .addMessages(OutgoingMessage.newBuilder()
                        .setDeviceId(recipient.credentials().deviceId())
                        .setRegistrationId(recipient.registrationId())
                        .setType(EnvelopeType.CIPHERTEXT)
                        .setContent(ByteString.copyFrom(blob)))
                .build();
    }
}
