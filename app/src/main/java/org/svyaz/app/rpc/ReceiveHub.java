// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the daemon publishes incoming messages, and who gets them.
 *
 * <p>In the automatic modes every attached connection gets
 * {@code {"method":"receive","params":{"envelope":…,"account":…}}}. Each {@code subscribeReceive} adds
 * a subscription of that connection, which gets
 * {@code {"method":"receive","params":{"subscription":N,"result":{"envelope":…,"account":…}}}}, in any
 * mode. Subscription ids count from 0 per connection.
 *
 * <p>The receive starter runs at most once: at {@link #daemonStarted} in on-start mode, at the first
 * connection (or event stream) in on-connection mode, at the first subscription (or event stream) in
 * manual mode. {@link #publish} never blocks on a connection: each peer queues its own frames.
 */
public final class ReceiveHub {
    private static final Logger log = LoggerFactory.getLogger(ReceiveHub.class);

    private final ReceiveMode mode;
    private final Runnable receiveStarter;
    private final AtomicBoolean started = new AtomicBoolean();
    private final Map<RpcPeer, Subscriptions> peers = new ConcurrentHashMap<>();
    private final List<EventListener> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param receiveStarter starts receiving messages; runs once, on the thread that triggered it (a
     *     connection's or a call's), so it should hand the work to a thread of its own and return
     */
    public ReceiveHub(ReceiveMode mode, Runnable receiveStarter) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.receiveStarter = Objects.requireNonNull(receiveStarter, "receiveStarter");
    }

    public ReceiveMode mode() {
        return mode;
    }

    /** The daemon's listeners are up; in on-start mode receiving begins now. */
    public void daemonStarted() {
        if (mode == ReceiveMode.ON_START) {
            startReceiving();
        }
    }

    /** A line connection opened. */
    public void attach(RpcPeer peer) {
        peers.put(peer, new Subscriptions());
        if (mode == ReceiveMode.ON_CONNECTION) {
            startReceiving();
        }
    }

    /** A line connection closed: it gets nothing more and its subscriptions end. */
    public void detach(RpcPeer peer) {
        peers.remove(peer);
    }

    /**
     * Whether a message published now would reach anyone: a connection in an automatic mode, a
     * subscription, or the HTTP event log. Until then the daemon holds messages back in its store.
     */
    public boolean hasAudience() {
        if (!listeners.isEmpty()) {
            return true;
        }
        for (Subscriptions subscriptions : peers.values()) {
            if (mode.deliversToEveryConnection() || !subscriptions.ids.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** How many line connections are attached. */
    public int attachedPeers() {
        return peers.size();
    }

    /** An HTTP event stream opened: it asks for messages as plainly as a subscription does. */
    void eventStreamOpened() {
        if (mode != ReceiveMode.ON_START) {
            startReceiving();
        }
    }

    /** Every published event goes to this listener too (the HTTP event log), with its type. */
    void addListener(EventListener listener) {
        listeners.add(listener);
    }

    /** Hears every event: {@code receive} (a message, unwrapped) or {@code transfer}. */
    @FunctionalInterface
    interface EventListener {
        void event(String type, ObjectNode params);
    }

    /**
     * How a file's upload to or download from the server advances:
     * {@code {account, filename, upload, done, total}}. Only the web app's event stream hears it; it
     * is no JSON-RPC notification (signal-cli has none).
     */
    public void publishTransfer(ObjectNode params) {
        for (EventListener listener : listeners) {
            listener.event("transfer", params);
        }
    }

    /** @return the new subscription's id */
    int subscribe(RpcPeer peer) throws RpcException {
        if (!peer.acceptsPushes()) {
            throw RpcException.userError("subscribeReceive needs a socket, TCP or stdio connection; "
                    + "over HTTP, read GET /api/v1/events");
        }
        Subscriptions subscriptions = peers.get(peer);
        if (subscriptions == null) {
            throw RpcException.userError("this connection is closed");
        }
        int id = subscriptions.next.getAndIncrement();
        subscriptions.ids.add(id);
        startReceiving();
        return id;
    }

    void unsubscribe(RpcPeer peer, int id) throws RpcException {
        Subscriptions subscriptions = peers.get(peer);
        if (subscriptions == null || !subscriptions.ids.remove(id)) {
            throw RpcException.userError("unknown subscription id " + id);
        }
    }

    /** Hands one incoming message to every connection and subscription that wants it. */
    public void publish(String account, JsonNode envelope) {
        ObjectNode params = RpcJson.MAPPER.createObjectNode();
        params.set("envelope", envelope);
        params.put("account", account);
        publish(params);
    }

    /**
     * Hands one incoming message on as the client shows it: {@code {envelope, account}}, with
     * {@code exception} beside them when it could not be read.
     */
    public void publish(ObjectNode params) {
        for (EventListener listener : listeners) {
            listener.event("receive", params);
        }
        String plain = mode.deliversToEveryConnection() ? RpcJson.write(RpcJson.notification("receive", params)) : null;
        peers.forEach((peer, subscriptions) -> {
            if (plain != null) {
                peer.push(plain);
            }
            for (int id : subscriptions.ids) {
                ObjectNode wrapped = RpcJson.MAPPER.createObjectNode();
                wrapped.put("subscription", id);
                wrapped.set("result", params);
                peer.push(RpcJson.write(RpcJson.notification("receive", wrapped)));
            }
        });
    }

    private void startReceiving() {
        if (started.compareAndSet(false, true)) {
            log.info("Receiving starts ({})", mode.cliName());
            receiveStarter.run();
        }
    }

    /** One connection's subscription ids; they count from 0, as signal-cli's first one is 0. */
    private static final class Subscriptions {
        final Set<Integer> ids = ConcurrentHashMap.newKeySet();
        final AtomicInteger next = new AtomicInteger();
    }
}
