// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.xmpp;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.SendRefusedException;
import org.svyaz.bench.relay.UserSession;

/**
 * One user's XMPP client connection: stream header, STARTTLS, then either in-band registration
 * (XEP-0077) or SASL PLAIN, stream restart, resource bind, stream management (XEP-0198) and
 * initial presence. All protocol state lives on the channel's event loop; {@link #send} hands its
 * work over to it, so the stanza count and the wire order always agree.
 *
 * <p>A send counts as taken by the server once an {@code <a h/>} covers it and then one more
 * {@code <r/>} sent after that ack has been answered: a server may bounce a message it could not
 * route ({@code <message type='error'>}) only after it has acked it (ejabberd queues the bounce
 * behind the {@code <r/>} that came in the same read), and the extra round trip lets such a bounce
 * arrive first, so it fails the send with its error condition instead of counting it accepted.
 */
final class XmppConnection extends ChannelInboundHandlerAdapter implements XmppStreamReader.Listener, UserSession {
    enum Goal { REGISTER, LOG_IN }

    private enum State {
        /** Header sent on the plain connection; waiting for features that offer STARTTLS. */
        PLAIN_FEATURES,
        STARTTLS,
        /** TLS is up and a new header sent; waiting for features (registration or SASL). */
        TLS_FEATURES,
        REGISTERING,
        AUTHENTICATING,
        /** Authenticated and a new header sent; waiting for features (bind, sm). */
        AUTHENTICATED_FEATURES,
        BINDING,
        ENABLING,
        /** SM enabled, initial presence sent; waiting for the ack that says the server has it. */
        PRESENCE,
        LIVE,
        CLOSED
    }

    static final String STREAMS = "http://etherx.jabber.org/streams";
    static final String CLIENT = "jabber:client";
    static final String TLS = "urn:ietf:params:xml:ns:xmpp-tls";
    static final String SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
    static final String BIND = "urn:ietf:params:xml:ns:xmpp-bind";
    static final String STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
    static final String SM = "urn:xmpp:sm:3";
    static final String REGISTER = "jabber:iq:register";
    static final String PING = "urn:xmpp:ping";

    private static final String REQUEST_ACK = "<r xmlns='urn:xmpp:sm:3'/>";
    private static final long CLOSE_TIMEOUT_MILLIS = 5_000;

    /** A message sent and not yet confirmed taken; {@code confirmingAnswer}: see the class comment. */
    private static final class PendingSend {
        final long number;
        final CompletableFuture<Void> result;
        long confirmingAnswer;

        PendingSend(long number, CompletableFuture<Void> result) {
            this.number = number;
            this.result = result;
        }
    }

    private final Goal goal;
    private final String domain;
    private final String username;
    private final String password;
    private final SslContext tls;
    private final Inbox inbox;
    private final XmppStreamReader reader = new XmppStreamReader(this);
    /** Completes when the goal is reached: registered, or logged in and live. */
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    private volatile Channel channel;
    private volatile State state = State.PLAIN_FEATURES;
    // Event loop only from here on.
    /** Stanzas sent since {@code <enable/>} (XEP-0198's outbound count). */
    private long sentStanzas;
    /** Stanzas received since {@code <enabled/>}, the h we report. */
    private long handledStanzas;
    private long ackRequestsSent;
    private long acksReceived;
    private final ArrayDeque<PendingSend> unacked = new ArrayDeque<>();
    private final ArrayDeque<PendingSend> unconfirmed = new ArrayDeque<>();
    /** Sends by stanza number, for bounces: the message id is "m" + number. */
    private final Map<Long, PendingSend> inFlight = new HashMap<>();

    XmppConnection(Goal goal, String domain, String username, String password, SslContext tls, Inbox inbox) {
        this.goal = goal;
        this.domain = domain;
        this.username = username;
        this.password = password;
        this.tls = tls;
        this.inbox = inbox;
    }

    /** The pipeline's handlers: the stream reader feeds this connection. */
    XmppStreamReader reader() {
        return reader;
    }

    CompletableFuture<Void> ready() {
        return ready;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Set before the connect completes, so close() always has the channel to close.
        channel = ctx.channel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        openStream();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        fail("The XMPP server closed the connection before the session was established.");
        SendRefusedException closed = new SendRefusedException("CONNECTION");
        unacked.forEach(pending -> pending.result.completeExceptionally(closed));
        unconfirmed.forEach(pending -> pending.result.completeExceptionally(closed));
        unacked.clear();
        unconfirmed.clear();
        inFlight.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail("The XMPP connection failed: " + cause.getClass().getSimpleName());
        ctx.close();
    }

    // --- the stream ---

    private void openStream() {
        channel.writeAndFlush(utf8("<?xml version='1.0'?><stream:stream to='" + domain
                + "' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"));
    }

    @Override
    public void streamOpened() {
        // Nothing to check: the features that follow say what the server offers.
    }

    @Override
    public void streamClosed() {
        channel.close();
    }

    @Override
    public void malformed(String problem) {
        fail("The XMPP server sent malformed XML.");
        channel.close();
    }

    @Override
    public void element(XmlElement element) {
        if (element.is("error", STREAMS)) {
            fail("The XMPP server ended the stream with the error " + condition(element, "urn:ietf:params:xml:ns:xmpp-streams")
                    + " (state " + state + ").");
            channel.close();
            return;
        }
        switch (state) {
            case PLAIN_FEATURES -> onPlainFeatures(element);
            case STARTTLS -> onStartTlsAnswer(element);
            case TLS_FEATURES -> onTlsFeatures(element);
            case REGISTERING -> onRegistrationAnswer(element);
            case AUTHENTICATING -> onSaslAnswer(element);
            case AUTHENTICATED_FEATURES -> onAuthenticatedFeatures(element);
            case BINDING -> onBindAnswer(element);
            case ENABLING -> onEnableAnswer(element);
            case PRESENCE, LIVE -> onLiveElement(element);
            case CLOSED -> { }
        }
    }

    private void onPlainFeatures(XmlElement features) {
        if (!features.is("features", STREAMS)) {
            return;
        }
        if (!features.hasChild("starttls", TLS)) {
            failAndClose("The XMPP server does not offer STARTTLS.");
            return;
        }
        state = State.STARTTLS;
        channel.writeAndFlush(utf8("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
    }

    private void onStartTlsAnswer(XmlElement answer) {
        if (!answer.is("proceed", TLS)) {
            failAndClose("The XMPP server refused STARTTLS.");
            return;
        }
        // Everything from here on is TLS and a new XML document: new parser, TLS below it.
        reader.restart();
        // The domain is both SNI and the name the certificate must carry (hostname verification is on).
        int port = ((InetSocketAddress) channel.remoteAddress()).getPort();
        SslHandler handler = tls.newHandler(channel.alloc(), domain, port);
        channel.pipeline().addFirst("tls", handler);
        handler.handshakeFuture().addListener(handshake -> {
            if (handshake.isSuccess()) {
                state = State.TLS_FEATURES;
                openStream();
            } else {
                failAndClose("The TLS handshake with the XMPP server failed: " + handshake.cause().getMessage());
            }
        });
    }

    private void onTlsFeatures(XmlElement features) {
        if (!features.is("features", STREAMS)) {
            return;
        }
        if (goal == Goal.REGISTER) {
            state = State.REGISTERING;
            channel.writeAndFlush(utf8("<iq type='set' id='register'><query xmlns='jabber:iq:register'><username>"
                    + username + "</username><password>" + password + "</password></query></iq>"));
            return;
        }
        boolean plainOffered = features.child("mechanisms", SASL)
                .map(mechanisms -> mechanisms.children().stream().anyMatch(m -> m.text().equals("PLAIN")))
                .orElse(false);
        if (!plainOffered) {
            failAndClose("The XMPP server does not offer SASL PLAIN over TLS.");
            return;
        }
        state = State.AUTHENTICATING;
        byte[] credentials = ("\0" + username + "\0" + password).getBytes(StandardCharsets.UTF_8);
        channel.writeAndFlush(utf8("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                + Base64.getEncoder().encodeToString(credentials) + "</auth>"));
    }

    private void onRegistrationAnswer(XmlElement answer) {
        if (!answer.is("iq", CLIENT) || !"register".equals(answer.attribute("id"))) {
            return;
        }
        String type = answer.attribute("type");
        String condition = "result".equals(type) ? null : condition(answer.child("error", CLIENT).orElse(null), STANZAS);
        if (condition == null || condition.equals("conflict")) {
            // Created now, or by an earlier run against the same data: either way the account is there.
            ready.complete(null);
            close();
        } else {
            failAndClose("The XMPP server refused to register a bench user: " + condition
                    + " (is in-band registration open, without throttling?).");
        }
    }

    private void onSaslAnswer(XmlElement answer) {
        if (answer.is("success", SASL)) {
            reader.restart();
            state = State.AUTHENTICATED_FEATURES;
            openStream();
        } else if (answer.is("failure", SASL)) {
            failAndClose("The XMPP server refused a bench user's password (SASL " + condition(answer, SASL)
                    + "); were the users created with other passwords?");
        }
    }

    private void onAuthenticatedFeatures(XmlElement features) {
        if (!features.is("features", STREAMS)) {
            return;
        }
        if (!features.hasChild("bind", BIND)) {
            failAndClose("The XMPP server does not offer resource binding.");
            return;
        }
        if (!features.hasChild("sm", SM)) {
            failAndClose("The XMPP server does not offer stream management (XEP-0198, urn:xmpp:sm:3).");
            return;
        }
        state = State.BINDING;
        channel.writeAndFlush(utf8("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                + "<resource>bench</resource></bind></iq>"));
    }

    private void onBindAnswer(XmlElement answer) {
        if (!answer.is("iq", CLIENT) || !"bind".equals(answer.attribute("id"))) {
            return;
        }
        if (!"result".equals(answer.attribute("type"))) {
            failAndClose("The XMPP server refused to bind a resource: "
                    + condition(answer.child("error", CLIENT).orElse(null), STANZAS) + ".");
            return;
        }
        state = State.ENABLING;
        channel.writeAndFlush(utf8("<enable xmlns='urn:xmpp:sm:3'/>"));
    }

    private void onEnableAnswer(XmlElement answer) {
        if (answer.is("failed", SM)) {
            failAndClose("The XMPP server refused to enable stream management: " + condition(answer, STANZAS) + ".");
            return;
        }
        if (!answer.is("enabled", SM)) {
            return;
        }
        // Both sides count stanzas from here. Initial presence makes the resource available, so
        // messages to the bare address reach it; its ack says the server has processed it.
        state = State.PRESENCE;
        sentStanzas = 1;
        ackRequestsSent++;
        channel.writeAndFlush(utf8("<presence/>" + REQUEST_ACK));
    }

    // --- the live session ---

    private void onLiveElement(XmlElement element) {
        switch (element.namespace()) {
            case SM -> {
                if (element.name().equals("a")) {
                    onAck(element);
                } else if (element.name().equals("r")) {
                    channel.writeAndFlush(utf8(ackElement()));
                }
            }
            case CLIENT -> {
                handledStanzas++;
                switch (element.name()) {
                    case "message" -> onMessage(element);
                    case "iq" -> onIq(element);
                    default -> { } // presence: our own, echoed back, or a server's probe; not needed
                }
            }
            default -> { }
        }
    }

    private void onAck(XmlElement ack) {
        acksReceived++;
        long handled;
        try {
            handled = Long.parseLong(ack.attribute("h"));
        } catch (NumberFormatException | NullPointerException e) {
            failAndClose("The XMPP server sent a stream management ack without a count.");
            return;
        }
        if (state == State.PRESENCE) {
            if (handled >= 1) {
                state = State.LIVE;
                ready.complete(null);
            }
            return;
        }
        while (!unconfirmed.isEmpty() && unconfirmed.peekFirst().confirmingAnswer <= acksReceived) {
            PendingSend taken = unconfirmed.pollFirst();
            inFlight.remove(taken.number);
            taken.result.complete(null); // no-op when a bounce already failed it
        }
        boolean newlyAcked = false;
        while (!unacked.isEmpty() && unacked.peekFirst().number <= handled) {
            PendingSend acked = unacked.pollFirst();
            acked.confirmingAnswer = ackRequestsSent + 1;
            unconfirmed.addLast(acked);
            newlyAcked = true;
        }
        if (newlyAcked) {
            ackRequestsSent++;
            channel.writeAndFlush(utf8(REQUEST_ACK));
        }
    }

    private void onMessage(XmlElement message) {
        if ("error".equals(message.attribute("type"))) {
            onBounce(message);
            return;
        }
        message.child("body", CLIENT).ifPresent(body -> {
            byte[] blob;
            try {
                // Strict: a body the server changed on the way is not quietly repaired.
                blob = Base64.getDecoder().decode(body.text());
            } catch (IllegalArgumentException e) {
                blob = new byte[0]; // counted as foreign by the scenario
            }
            inbox.arrived(blob);
        });
    }

    /** The server could not deliver one of our messages: fail that send with the error condition. */
    private void onBounce(XmlElement bounce) {
        String id = bounce.attribute("id");
        if (id == null || !id.startsWith("m")) {
            return;
        }
        PendingSend bounced;
        try {
            bounced = inFlight.remove(Long.parseLong(id.substring(1)));
        } catch (NumberFormatException e) {
            return;
        }
        if (bounced != null) {
            bounced.result.completeExceptionally(
                    new SendRefusedException(condition(bounce.child("error", CLIENT).orElse(null), STANZAS)));
        }
    }

    /** Answers the server's requests so it does not wait on us: pings get a result, the rest an error. */
    private void onIq(XmlElement iq) {
        String type = iq.attribute("type");
        if (!"get".equals(type) && !"set".equals(type)) {
            return;
        }
        String id = iq.attribute("id") == null ? "" : iq.attribute("id");
        String from = iq.attribute("from") == null ? "" : " to='" + iq.attribute("from") + "'";
        String answer = iq.hasChild("ping", PING)
                ? "<iq type='result' id='" + id + "'" + from + "/>"
                : "<iq type='error' id='" + id + "'" + from + "><error type='cancel'>"
                        + "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
        sentStanzas++;
        channel.writeAndFlush(utf8(answer));
    }

    private String ackElement() {
        return "<a xmlns='urn:xmpp:sm:3' h='" + handledStanzas + "'/>";
    }

    // --- UserSession ---

    @Override
    public CompletableFuture<Void> send(int recipient, byte[] blob) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        // Encoded on the caller's thread; the event loop only counts and writes.
        String body = Base64.getEncoder().encodeToString(blob);
        Channel current = channel;
        try {
            current.eventLoop().execute(() -> sendOnEventLoop(recipient, body, result));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new SendRefusedException("CONNECTION"));
        }
        return result;
    }

    private void sendOnEventLoop(int recipient, String body, CompletableFuture<Void> result) {
        if (state != State.LIVE) {
            result.completeExceptionally(new SendRefusedException("CONNECTION"));
            return;
        }
        long number = ++sentStanzas;
        PendingSend pending = new PendingSend(number, result);
        unacked.addLast(pending);
        inFlight.put(number, pending);
        // One <r/> per message: each sender keeps only a few sends open (the window), so it needs
        // every ack promptly; batching requests would hold the window shut for the batch's length.
        ackRequestsSent++;
        channel.writeAndFlush(utf8("<message to='" + XmppSystem.username(recipient) + "@" + domain
                + "' type='chat' id='m" + number + "'><body>" + body + "</body></message>" + REQUEST_ACK));
    }

    @Override
    public void stopReading() {
        Channel current = channel;
        if (current != null) {
            // On the event loop and waited for, so nothing is read once this returns (see ServerConnection).
            current.eventLoop().submit(() -> current.config().setAutoRead(false))
                    .awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Override
    public boolean isOpen() {
        Channel current = channel;
        return current != null && current.isActive() && state == State.LIVE;
    }

    /** Acks what arrived, ends the stream and closes the connection; waits at most 5 s. */
    @Override
    public void close() {
        Channel current = channel;
        if (current == null) {
            return;
        }
        try {
            current.eventLoop().execute(() -> {
                if (current.isActive()) {
                    String goodbye = state == State.LIVE ? ackElement() + "</stream:stream>" : "</stream:stream>";
                    current.writeAndFlush(utf8(goodbye)).addListener(ChannelFutureListener.CLOSE);
                }
            });
        } catch (RejectedExecutionException e) {
            return; // the event loop is gone, and its channels with it
        }
        if (!current.eventLoop().inEventLoop()) {
            current.closeFuture().awaitUninterruptibly(CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            current.close();
        }
    }

    // --- helpers ---

    private void fail(String sentence) {
        ready.completeExceptionally(new BenchException(sentence, null));
    }

    private void failAndClose(String sentence) {
        fail(sentence);
        channel.close();
    }

    private ByteBuf utf8(String text) {
        return ByteBufUtil.writeUtf8(channel.alloc(), text);
    }

    /** The name of the first child in {@code namespace} other than text: an error condition. */
    private static String condition(XmlElement error, String namespace) {
        if (error != null) {
            for (XmlElement child : error.children()) {
                if (child.namespace().equals(namespace) && !child.name().equals("text")) {
                    return child.name();
                }
            }
        }
        return "undefined-condition";
    }
}
