// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.mqtt;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPubAckMessage;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.collection.IntObjectHashMap;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.svyaz.bench.BenchException;
import org.svyaz.bench.relay.Inbox;
import org.svyaz.bench.relay.RelayOptions;
import org.svyaz.bench.relay.SendRefusedException;
import org.svyaz.bench.relay.UserSession;

/**
 * One MQTT 3.1.1 client connection over TLS: CONNECT with a clean session, optionally SUBSCRIBE to
 * the user's own topic at QoS 1, then PUBLISH at QoS 1 answered by PUBACK. Incoming QoS 1 PUBLISHes
 * are handed to the {@link Inbox} and acknowledged.
 *
 * <p>Everything that touches the packet-id table runs on the channel's event loop, so it needs no
 * locks; a send from another thread is one task handed to that loop.
 */
final class MqttSession implements UserSession {
    /** MQTT packet ids are 16 bits and never 0. */
    private static final int LARGEST_PACKET_ID = 0xFFFF;
    /** The one SUBSCRIBE goes out before any PUBLISH, and its SUBACK comes back before logIn returns. */
    private static final int SUBSCRIBE_PACKET_ID = 1;
    private static final int SUBACK_FAILURE = 0x80;
    /** Room for the largest payload the benchmark sends plus the PUBLISH header and topic. */
    private static final int LARGEST_PACKET_BYTES = RelayOptions.MAX_SIZE + 1024;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final Channel channel;
    private final Handler handler;

    private MqttSession(Channel channel, Handler handler) {
        this.channel = channel;
        this.handler = handler;
    }

    /**
     * Connects, sends CONNECT and waits for CONNACK. Returns the session and the broker's return
     * code; when that is not CONNECTION_ACCEPTED the connection is already closed.
     */
    static Connected connect(Bootstrap template, SslContext tls, InetSocketAddress broker, MqttCredentials credentials,
                             Inbox inbox, Duration timeout) throws BenchException {
        Handler handler = new Handler(credentials, inbox);
        Bootstrap bootstrap = template.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                // The IP literal, not a host name: the certificate names the address (IP:127.0.0.1).
                channel.pipeline().addLast(
                        tls.newHandler(channel.alloc(), broker.getAddress().getHostAddress(), broker.getPort()),
                        new MqttDecoder(LARGEST_PACKET_BYTES),
                        MqttEncoder.INSTANCE,
                        handler);
            }
        });
        ChannelFuture connecting = bootstrap.connect(broker);
        if (!connecting.awaitUninterruptibly(timeout.toMillis())) {
            connecting.channel().close();
            throw new BenchException("The MQTT broker did not accept a TCP connection within "
                    + timeout.toSeconds() + " s.", null);
        }
        if (!connecting.isSuccess()) {
            throw new BenchException("Could not connect to the MQTT broker: " + connecting.cause().getMessage(),
                    connecting.cause());
        }
        MqttSession session = new MqttSession(connecting.channel(), handler);
        MqttConnectReturnCode code = session.await(handler.connAck, timeout, "CONNACK");
        if (code != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            session.channel.close().awaitUninterruptibly(CLOSE_TIMEOUT.toMillis());
        }
        return new Connected(session, code);
    }

    /** A connection attempt's outcome: the broker's CONNACK return code and the session it is for. */
    record Connected(MqttSession session, MqttConnectReturnCode code) {}

    /** Subscribes to {@code topic} at QoS 1 and returns once the broker granted it (SUBACK). */
    void subscribe(String topic, Duration timeout) throws BenchException {
        channel.writeAndFlush(MqttMessageBuilders.subscribe()
                .messageId(SUBSCRIBE_PACKET_ID)
                .addSubscription(MqttQoS.AT_LEAST_ONCE, topic)
                .build());
        int granted = await(handler.subAck, timeout, "SUBACK");
        if (granted == SUBACK_FAILURE) {
            close();
            throw new BenchException("The MQTT broker refused a user's subscription to its own topic.", null);
        }
    }

    @Override
    public CompletableFuture<Void> send(int recipient, byte[] blob) {
        CompletableFuture<Void> answered = new CompletableFuture<>();
        String topic = MqttSystem.topicOf(recipient);
        try {
            channel.eventLoop().execute(() -> handler.publish(channel, topic, blob, answered));
        } catch (RejectedExecutionException e) {
            // The event loop is shut down: the system was closed under us.
            answered.completeExceptionally(new SendRefusedException("CONNECTION"));
        }
        return answered;
    }

    @Override
    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() {
        if (channel.isActive()) {
            // A polite DISCONNECT, so the broker does not treat the close as a failure.
            channel.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false,
                    MqttQoS.AT_MOST_ONCE, false, 0))).addListener(ChannelFutureListener.CLOSE);
        }
        if (!channel.closeFuture().awaitUninterruptibly(CLOSE_TIMEOUT.toMillis())) {
            channel.close();
        }
    }

    /** Waits for one of the handshake answers; closes the connection when it does not come. */
    private <T> T await(CompletableFuture<T> answer, Duration timeout, String what) throws BenchException {
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            channel.close();
            throw new BenchException("The MQTT broker sent no " + what + " within " + timeout.toSeconds() + " s.", e);
        } catch (ExecutionException e) {
            channel.close();
            Throwable why = handler.failure != null ? handler.failure : e.getCause();
            throw new BenchException("The MQTT connection closed before the " + what + ": " + why, why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.close();
            throw new BenchException("Interrupted while waiting for the MQTT " + what + ".", e);
        }
    }

    /** The channel's protocol state; every method runs on the channel's event loop. */
    private static final class Handler extends SimpleChannelInboundHandler<MqttMessage> {
        private final MqttCredentials credentials;
        private final Inbox inbox;
        final CompletableFuture<MqttConnectReturnCode> connAck = new CompletableFuture<>();
        final CompletableFuture<Integer> subAck = new CompletableFuture<>();
        /** Sends waiting for their PUBACK, by packet id. */
        private final IntObjectHashMap<CompletableFuture<Void>> unacknowledged = new IntObjectHashMap<>();
        private int lastPacketId = SUBSCRIBE_PACKET_ID;
        private boolean flushScheduled;
        /** Why the connection broke, for a login's error message; written once, on the event loop. */
        volatile Throwable failure;

        Handler(MqttCredentials credentials, Inbox inbox) {
            this.credentials = credentials;
            this.inbox = inbox;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            // The SslHandler holds this back until the TLS handshake is done.
            ctx.writeAndFlush(MqttMessageBuilders.connect()
                    .protocolVersion(MqttVersion.MQTT_3_1_1)
                    .clientId(credentials.clientId())
                    .cleanSession(true)
                    // No keep-alive: the broker must not drop a user that is idle while the others log in,
                    // and PINGREQs would be traffic the other systems do not have.
                    .keepAlive(0)
                    .hasUser(true)
                    .username(credentials.username())
                    .hasPassword(true)
                    .password(credentials.password().getBytes(StandardCharsets.UTF_8))
                    .build());
            ctx.fireChannelActive();
        }

        void publish(Channel channel, String topic, byte[] blob, CompletableFuture<Void> answered) {
            if (!channel.isActive()) {
                answered.completeExceptionally(new SendRefusedException("CONNECTION"));
                return;
            }
            int packetId = nextFreePacketId();
            if (packetId == 0) {
                // Only with more than 65,535 sends in flight on one connection: MQTT cannot name them.
                answered.completeExceptionally(new SendRefusedException("NO_FREE_PACKET_ID"));
                return;
            }
            unacknowledged.put(packetId, answered);
            // A failed write reaches exceptionCaught, which closes the channel; channelInactive then
            // fails this send and every other one in flight. No listener object per message.
            channel.write(MqttMessageBuilders.publish()
                    .topicName(topic)
                    .qos(MqttQoS.AT_LEAST_ONCE)
                    .retained(false)
                    .messageId(packetId)
                    .payload(Unpooled.wrappedBuffer(blob))
                    .build(), channel.voidPromise());
            flushSoon(channel);
        }

        /**
         * Flushes once the sends already queued on the event loop are written too: one TLS record
         * and one syscall for a burst of publishes instead of one each. The flush task queues behind
         * them, so no publish waits longer than the tasks ahead of it.
         */
        private void flushSoon(Channel channel) {
            if (!flushScheduled) {
                flushScheduled = true;
                channel.eventLoop().execute(() -> {
                    flushScheduled = false;
                    channel.flush();
                });
            }
        }

        /** The next packet id after the last one that no send in flight holds; 0 when all are taken. */
        private int nextFreePacketId() {
            for (int tries = 0; tries < LARGEST_PACKET_ID; tries++) {
                lastPacketId = lastPacketId == LARGEST_PACKET_ID ? 1 : lastPacketId + 1;
                if (!unacknowledged.containsKey(lastPacketId)) {
                    return lastPacketId;
                }
            }
            return 0;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
            if (message.decoderResult().isFailure()) {
                failure = message.decoderResult().cause();
                ctx.close();
                return;
            }
            switch (message.fixedHeader().messageType()) {
                case CONNACK -> connAck.complete(((MqttConnAckMessage) message).variableHeader().connectReturnCode());
                case SUBACK -> {
                    List<Integer> granted = ((MqttSubAckMessage) message).payload().grantedQoSLevels();
                    subAck.complete(granted.isEmpty() ? SUBACK_FAILURE : granted.get(0));
                }
                case PUBACK -> {
                    CompletableFuture<Void> answered =
                            unacknowledged.remove(((MqttPubAckMessage) message).variableHeader().messageId());
                    if (answered != null) {
                        answered.complete(null);
                    }
                }
                case PUBLISH -> received(ctx, (MqttPublishMessage) message);
                default -> {
                    // Nothing else is expected from a broker by a client that only uses QoS 0 and 1.
                }
            }
        }

        private void received(ChannelHandlerContext ctx, MqttPublishMessage publish) {
            // A copy: the buffer goes back to Netty's pool when this handler returns.
            inbox.arrived(ByteBufUtil.getBytes(publish.payload()));
            if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                // Written now, flushed once per read batch (channelReadComplete).
                ctx.write(new MqttPubAckMessage(
                        new MqttFixedHeader(MqttMessageType.PUBACK, false, MqttQoS.AT_MOST_ONCE, false, 2),
                        MqttMessageIdVariableHeader.from(publish.variableHeader().packetId())));
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            SendRefusedException closed = new SendRefusedException("CONNECTION");
            connAck.completeExceptionally(closed);
            subAck.completeExceptionally(closed);
            // Completing a future runs the scenario's callbacks, which never touch this table; still,
            // take the sends out first so the table is never walked while it changes.
            List<CompletableFuture<Void>> pending = new ArrayList<>(unacknowledged.values());
            unacknowledged.clear();
            pending.forEach(answered -> answered.completeExceptionally(closed));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Not logged: the cause may name the broker's address. A login's error message carries it.
            if (failure == null) {
                failure = cause;
            }
            ctx.close();
        }
    }
}
