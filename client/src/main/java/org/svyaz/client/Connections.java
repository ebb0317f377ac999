// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.ConnectionStatus;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.net.ConnectionException;
import org.svyaz.client.net.PushHandler;
import org.svyaz.client.net.Route;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.client.store.LocalStoreException;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;
import org.svyaz.protocol.relay.RelayDescriptor;
import org.svyaz.protocol.relay.RelayList;
import org.svyaz.protocol.wire.DescriptorRequest;
import org.svyaz.protocol.wire.DescriptorResponse;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.RelaysRequest;
import org.svyaz.protocol.wire.Response;

/**
 * The account's two connections to its server, each raced over every route and reopened when it
 * died: the authenticated one, which carries the server's pushes, and one without credentials for
 * requests that must not reveal who asks (sealed sends, profile reads).
 */
final class Connections implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Connections.class);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    /** For requests that only improve what is shown (prekey refill, profile names, the descriptor). */
    static final Duration REFILL_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How often the relays are fetched again on a connection that stays open (their tokens last a
     * month); each new connection fetches them too, so relays an operator adds arrive soon.
     */
    static final Duration RELAY_REFRESH = Duration.ofDays(1);
    /** After a failed fetch of the relays: the next try. */
    private static final Duration RELAY_RETRY = Duration.ofMinutes(10);
    /** How long a rotation waits for the old connection's requests to be answered. */
    private static final Duration ROTATION_WAIT = Duration.ofSeconds(5);
    /** Below this a stalled flow is taken for a lost network, not a censor's byte limit. */
    static final long MIN_FLOW_LIMIT = 8 * 1024;
    /**
     * Where answers that write the database are handled: not on the connection's event loop, which
     * would stall every other answer while a transaction of this account (one that waits for an
     * answer itself, such as an identity reset) holds the database.
     */
    private static final Executor OFF_THE_EVENT_LOOP = task -> Thread.ofVirtual().name("svyaz-refresh").start(task);

    private final AccountSettings settings;
    private final PushHandler pushes;
    /** Told before each new authenticated connection opens: its pushes start a new queue. */
    private final Runnable beforeConnecting;
    private final Clock clock;
    // Volatile for routeOfLastSend, which must not wait for a connect under way on another thread.
    private volatile ServerConnection connection;
    private volatile ServerConnection anonymousConnection;
    private volatile CompletableFuture<Void> descriptorRefresh = CompletableFuture.completedFuture(null);
    /** When the relays are fetched next on the open connection; kept here so a request need not read the database. */
    private volatile long nextRelayRefreshMillis;
    private volatile CompletableFuture<Void> relayRefresh = CompletableFuture.completedFuture(null);
    /** Connections that froze (went quiet and were closed) since this client opened. */
    private final AtomicInteger flowsFrozen = new AtomicInteger();
    /** Connections moved to a fresh flow before they could freeze. */
    private final AtomicInteger flowsRotated = new AtomicInteger();

    Connections(AccountSettings settings, PushHandler pushes, Runnable beforeConnecting, Clock clock) {
        this.settings = settings;
        this.pushes = pushes;
        this.beforeConnecting = beforeConnecting;
        this.clock = clock;
    }

    /** The authenticated connection, opened when missing or dead. */
    synchronized ServerConnection connection() throws NetworkException {
        if (connection == null || !connection.isOpen()) {
            if (connection != null) {
                learnFrom(connection);
                connection.close();
            }
            connection = openAuthenticated();
            refreshDescriptor(connection);
            refreshRelays(connection);
        } else if (clock.millis() >= nextRelayRefreshMillis) {
            refreshRelays(connection); // a connection open for days: the tokens are renewed all the same
        }
        return connection;
    }

    private ServerConnection openAuthenticated() throws NetworkException {
        beforeConnecting.run();
        try {
            ServerConnection opened = ServerConnection.connect(settings.server(), settings.relays(),
                    settings.preferredRoute(), settings.relaysOnly(), Optional.of(settings.credentials()), pushes,
                    CONNECT_TIMEOUT);
            settings.rememberRoute(opened.routeKey());
            OptionalLong rotateAt = rotationMark();
            if (rotateAt.isPresent()) {
                opened.rotateAfter(rotateAt.getAsLong(),
                        () -> Thread.ofVirtual().name("svyaz-rotate").start(() -> rotate(opened)));
            }
            return opened;
        } catch (ConnectionException e) {
            throw new NetworkException(e.unauthorized()
                    ? "The server does not recognise this account (it may have been reset). Register again."
                    : e.getMessage(), e);
        }
    }

    /** Where a connection moves to a fresh flow: well before the byte count that froze one on this network. */
    private OptionalLong rotationMark() {
        OptionalLong limit = settings.flowLimit();
        return limit.isPresent() ? OptionalLong.of(limit.getAsLong() * 7 / 10) : OptionalLong.empty();
    }

    /**
     * A connection that went quiet teaches after how many bytes flows freeze on this network. One
     * that stalled within the first few kilobytes more likely lost its network than met a censor's
     * byte limit; it teaches nothing, or the client would reconnect every few kilobytes.
     */
    private void learnFrom(ServerConnection closed) {
        if (closed.stalled()) {
            flowsFrozen.incrementAndGet();
            if (closed.bytesCarried() >= MIN_FLOW_LIMIT) {
                settings.rememberFlowLimit(closed.bytesCarried());
                log.info("a flow froze after {} bytes; later connections move to a fresh flow before that",
                        closed.bytesCarried());
            }
        }
    }

    /**
     * Moves the authenticated connection to a fresh flow before a censor freezes this one. The
     * server closes a device's older connection once its newer one is in, so the old one's
     * requests get their answers first; pushes it carried and this device did not acknowledge
     * come again on the new one.
     */
    private void rotate(ServerConnection old) {
        synchronized (this) {
            if (connection != old || !old.isOpen()) {
                return;
            }
            long until = System.nanoTime() + ROTATION_WAIT.toNanos();
            while (old.requestsInFlight() > 0 && System.nanoTime() < until) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            try {
                connection = openAuthenticated();
                flowsRotated.incrementAndGet();
            } catch (NetworkException e) {
                log.debug("could not open a fresh flow yet; staying on the old one: {}", e.getMessage());
                return;
            }
        }
        old.close();
    }

    synchronized boolean isOpen() {
        return connection != null && connection.isOpen();
    }

    /**
     * One request on the authenticated connection. If the connection turns out to be dead before the
     * request left (a route that just died), it is sent once more on a fresh connection; a request
     * that may have reached the server is never repeated, so nothing is sent twice.
     */
    Response call(String path, Message body) throws ClientException {
        return call(path, body, REQUEST_TIMEOUT);
    }

    Response call(String path, Message body, Duration timeout) throws ClientException {
        try {
            try {
                return connection().call(path, body, timeout);
            } catch (ConnectionException e) {
                if (!e.requestNotSent()) {
                    throw e;
                }
                return connection().call(path, body, timeout);
            }
        } catch (ConnectionException e) {
            throw new NetworkException(e.getMessage(), e);
        }
    }

    /** Requests that must not reveal who we are (sealed sends) use a connection without credentials. */
    Response callAnonymously(String path, Message body) throws ClientException {
        return callAnonymously(path, body, REQUEST_TIMEOUT);
    }

    Response callAnonymously(String path, Message body, Duration timeout) throws ClientException {
        try {
            try {
                return anonymousConnection(false).call(path, body, timeout);
            } catch (ConnectionException e) {
                if (!e.requestNotSent()) {
                    throw e;
                }
                return anonymousConnection(true).call(path, body, timeout);
            }
        } catch (ConnectionException e) {
            throw new NetworkException(e.getMessage(), e);
        }
    }

    /**
     * The connection without credentials, opened when missing, dead, {@code fresh} is asked for, or
     * near the byte count that freezes flows on this network (and idle: no request is cut off).
     */
    private synchronized ServerConnection anonymousConnection(boolean fresh) throws ConnectionException {
        OptionalLong rotateAt = rotationMark();
        boolean worn = anonymousConnection != null && rotateAt.isPresent()
                && anonymousConnection.bytesCarried() >= rotateAt.getAsLong()
                && anonymousConnection.requestsInFlight() == 0;
        if (fresh || worn || anonymousConnection == null || !anonymousConnection.isOpen()) {
            if (anonymousConnection != null) {
                learnFrom(anonymousConnection);
                if (worn && anonymousConnection.isOpen()) {
                    flowsRotated.incrementAndGet();
                }
                anonymousConnection.close();
            }
            anonymousConnection = ServerConnection.connect(settings.server(), settings.relays(),
                    settings.preferredRoute(), settings.relaysOnly(), Optional.empty(),
                    push -> Response.newBuilder().setError(ErrorCode.NOT_FOUND).build(), CONNECT_TIMEOUT);
            settings.rememberRoute(anonymousConnection.routeKey());
        }
        return anonymousConnection;
    }

    /** The route the authenticated connection took, so that file transfers can take it too. */
    Route winningRoute() throws NetworkException {
        return connection().winningRoute();
    }

    /** How the last send reached the server: the anonymous connection for sealed sends. */
    String routeOfLastSend(boolean sealed) {
        return sealed ? anonymousConnection.route() : connection.route();
    }

    /** Connects if needed and tells which route carries the connection and why earlier ones failed. */
    ConnectionStatus status() throws ClientException {
        ServerConnection current = connection();
        return new ConnectionStatus(current.route(), current.winningRoute().kind().name().toLowerCase(Locale.ROOT),
                current.failedRoutes(),
                settings.server().descriptor().getEndpointsCount(), settings.relays().size(),
                settings.flowLimit().orElse(0), flowsFrozen.get(), flowsRotated.get());
    }

    /** Closes the authenticated connection, so the next request races the routes as they are now set. */
    synchronized void reconnectLater() {
        if (connection != null) {
            connection.close();
        }
    }

    /**
     * Asks for the server's current descriptor without waiting for the answer: on a slow or frozen
     * route the answer may never come, and the connection must be usable (and its stall noticed)
     * meanwhile. {@link #server()} waits briefly for it. Best effort: failures are logged and the
     * known descriptor stays.
     */
    private void refreshDescriptor(ServerConnection via) {
        descriptorRefresh = via.request(ApiPaths.DESCRIPTOR, DescriptorRequest.getDefaultInstance())
                .orTimeout(REFILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handleAsync((response, failure) -> {
                    if (failure != null) {
                        log.warn("could not refresh the server descriptor: {}", failure.getMessage() == null
                                ? failure.getClass().getSimpleName() : failure.getMessage());
                    } else if (response.getError() == ErrorCode.OK) {
                        adoptDescriptor(response);
                    }
                    return null;
                }, OFF_THE_EVENT_LOOP);
    }

    /**
     * Asks for this account's relays (a few of the operator's, with tokens that expire) without
     * waiting for the answer; the next connection that has to take a relay uses them.
     */
    private void refreshRelays(ServerConnection via) {
        nextRelayRefreshMillis = clock.millis() + RELAY_RETRY.toMillis();
        relayRefresh = via.request(ApiPaths.RELAYS, RelaysRequest.getDefaultInstance())
                .orTimeout(REFILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handleAsync((response, failure) -> {
                    if (failure != null) {
                        log.warn("could not fetch this account's relays: {}", failure.getMessage() == null
                                ? failure.getClass().getSimpleName() : failure.getMessage());
                    } else if (response.getError() != ErrorCode.OK) {
                        log.warn("the server did not hand out relays: {}", response.getError());
                    } else {
                        storeRelays(response);
                    }
                    return null;
                }, OFF_THE_EVENT_LOOP);
    }

    private void storeRelays(Response response) {
        try {
            List<RelayLink> relays = new ArrayList<>();
            for (RelayDescriptor relay : RelayList.parseFrom(response.getBody()).getRelaysList()) {
                relays.add(RelayLink.checked(relay));
            }
            settings.storeServerRelays(relays, clock.millis(), RELAY_REFRESH);
            nextRelayRefreshMillis = clock.millis() + RELAY_REFRESH.toMillis();
        } catch (InvalidProtocolBufferException | InvalidInviteLinkException | LocalStoreException e) {
            log.warn("could not keep the relays the server handed out: {}", e.getMessage());
        }
    }

    private void adoptDescriptor(Response response) {
        try {
            settings.adoptDescriptor(SignedServerDescriptor.parseFrom(
                    DescriptorResponse.parseFrom(response.getBody()).getSignedDescriptor()), clock.millis());
        } catch (InvalidProtocolBufferException | InvalidInviteLinkException | LocalStoreException e) {
            log.warn("could not refresh the server descriptor: {}", e.getMessage());
        }
    }

    /**
     * The server as this client currently knows it (the stored, possibly refreshed, descriptor);
     * waits for a refresh under way, at most as long as the refresh itself may take.
     */
    InviteLink server() {
        try {
            descriptorRefresh.get(REFILL_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // The refresh failed or is stuck: the stored descriptor is what we know.
        }
        return settings.server();
    }

    @Override
    public synchronized void close() {
        // A command that ran for a moment (one 'send') must still keep the relays it was handed:
        // they are what reaches the server once its address is blocked.
        try {
            relayRefresh.get(REFILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Not kept this time; the next connection asks again.
        }
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (anonymousConnection != null) {
            anonymousConnection.close();
            anonymousConnection = null;
        }
    }
}
