// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.ws.FrameCodec;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.account.AccountService;
import org.svyaz.server.account.ProfileService;
import org.svyaz.server.api.Caller;
import org.svyaz.server.api.DescriptorRoute;
import org.svyaz.server.api.Dispatcher;
import org.svyaz.server.api.Routes;
import org.svyaz.server.cluster.NodeLinks;
import org.svyaz.server.calls.TurnCredentialIssuer;
import org.svyaz.server.identity.RelayGrants;
import org.svyaz.server.identity.SenderCertificateIssuer;
import org.svyaz.server.keys.KeyService;
import org.svyaz.server.message.ConnectedDevices;
import org.svyaz.server.message.DeliveryRegistry;
import org.svyaz.server.message.MessageMetrics;
import org.svyaz.server.message.MessageService;
import org.svyaz.server.message.SendLimiters;
import org.svyaz.server.sealed.SealedSenderService;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * Fuzz target for what a connection sends once its WebSocket is open: raw bytes through Netty's
 * WebSocket decoder, the aggregator and {@link FrameCodec}, then {@link FrameHandler} and the real
 * {@link Routes} dispatcher on an embedded store, as {@code ServerChannelInitializer} and
 * {@code SvyazServer} assemble them. Every request that gets through the codec is answered exactly
 * once, under its own id, and never with INTERNAL (a handler that threw); a violation closes the
 * connection. Half the inputs are well-formed frames carrying a fuzzed request to a real path, so
 * the handlers' own parsing is reached. Replayed from {@code WebSocketDispatchFuzzTestInputs/} in
 * every build; fuzzed with {@code JAZZER_FUZZ=1} (SECURITY.md, "Fuzzing").
 */
class WebSocketDispatchFuzzTest {
    /** A hang: Jazzer's fuzzing mode reports an input that runs longer (libFuzzer's -timeout). */
    private static final int INPUT_TIMEOUT_SECONDS = 10;
    private static final int MAX_FRAME_BYTES = 64 * 1024;
    private static final List<String> PATHS = List.of(ApiPaths.REGISTER, ApiPaths.RESET_IDENTITY,
            ApiPaths.PROFILE_SET, ApiPaths.PROFILE_GET, ApiPaths.USERNAME_LOOKUP, ApiPaths.KEYS_UPLOAD,
            ApiPaths.KEYS_COUNT, ApiPaths.KEYS_BUNDLE, ApiPaths.MESSAGES_SEND, ApiPaths.MESSAGES_SEND_SEALED,
            ApiPaths.MESSAGES_SEND_MULTI, ApiPaths.MESSAGES_SEND_MULTI_SEALED, ApiPaths.SENDER_CERTIFICATE,
            ApiPaths.SEALED_SENDER_ACCESS, ApiPaths.DESCRIPTOR, ApiPaths.RELAYS, ApiPaths.PUSH_MESSAGE, "");

    private static Path dataDir;
    private static EmbeddedStorage storage;
    private static Dispatcher dispatcher;
    private static Caller caller;

    @BeforeAll
    static void startServices() throws Exception {
        dataDir = Files.createTempDirectory("svyaz-fuzz");
        ServerConfig config = ServerConfig.defaults(dataDir, new InetSocketAddress("127.0.0.1", 0));
        Clock clock = config.clock();
        storage = EmbeddedStorage.open(dataDir);
        NodeLinks links = NodeLinks.open(Optional.empty(), new ConnectedDevices(), config.sendBurst(),
                config.sendsPerSecond(), clock);
        KeyService keys = new KeyService(storage.accounts(), storage.keys(), links.preKeyFetches());
        AccountService accounts = new AccountService(storage.accounts(), keys, config.registration(),
                links.usernameLookups(), clock);
        MessageService messages = new MessageService(storage.accounts(), storage.mailbox(),
                DeliveryRegistry.singleNode(), new SendLimiters(links.sends(), links.sealedSends(),
                        links.limiter(config.recipientLimit()), links.limiter(config.pairLimit()),
                        links.limiter(config.inboundBytesLimit())),
                config.messages(), clock, new MessageMetrics(new SimpleMeterRegistry()));
        dispatcher = Routes.dispatcher(new SimpleMeterRegistry(), accounts, keys, messages,
                new SealedSenderService(storage.accounts(), SenderCertificateIssuer.loadOrCreate(dataDir, clock)),
                new ProfileService(storage.accounts()), new DescriptorRoute(), RelayGrants.open(dataDir, clock),
                new TurnCredentialIssuer(dataDir, clock));
        // One registered device, as an authenticated connection's caller.
        UUID account = UUID.randomUUID();
        byte[] usernameHash = new byte[32];
        new SecureRandom().nextBytes(usernameHash);
        storage.accounts().create(new Account(account, IdentityKeyPair.generate().getPublicKey().serialize(),
                clock.millis()), new Device(1, 7, new byte[16], new byte[32], clock.millis()),
                List.of(usernameHash), null, clock.millis());
        caller = new Caller(account, 1);
    }

    @AfterAll
    static void stopServices() throws Exception {
        storage.close();
        try (var files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void connection(FuzzedDataProvider data) {
        boolean authenticated = data.consumeBoolean();
        List<Request> requests = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(
                new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                        .withUTF8Validator(false)
                        .maxFramePayloadLength(MAX_FRAME_BYTES)
                        .allowExtensions(false)
                        .closeOnProtocolViolation(false)
                        .build()),
                new WebSocketFrameAggregator(MAX_FRAME_BYTES),
                new FrameCodec(MAX_FRAME_BYTES),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof Frame frame && frame.hasRequest()) {
                            requests.add(frame.getRequest());
                        }
                        ctx.fireChannelRead(msg);
                    }
                },
                new FrameHandler(dispatcher, Runnable::run, new InFlightRequests(), (who, session) -> () -> { }));
        channel.attr(UpgradeHandler.CALLER).set(authenticated ? Optional.of(caller) : Optional.empty());
        channel.pipeline().fireUserEventTriggered(new WebSocketServerProtocolHandler.HandshakeComplete(
                ApiPaths.WEBSOCKET, EmptyHttpHeaders.INSTANCE, null));
        try {
            while (data.remainingBytes() > 0 && channel.isOpen()) {
                ByteBuf bytes;
                if (data.consumeBoolean()) {
                    bytes = Unpooled.wrappedBuffer(data.consumeBytes(data.consumeInt(0, 512)));
                } else {
                    Request request = Request.newBuilder()
                            .setId(data.consumeLong())
                            .setPath(PATHS.get(data.consumeInt(0, PATHS.size() - 1)))
                            .setBody(ByteString.copyFrom(data.consumeBytes(data.consumeInt(0, 4096))))
                            .build();
                    bytes = maskedBinaryMessage(Frame.newBuilder().setRequest(request).build().toByteArray(),
                            data.consumeInt());
                }
                try {
                    channel.writeInbound(bytes);
                } catch (CorruptedFrameException | TooLongFrameException e) {
                    // A violation (FrameViolationException, CorruptedWebSocketFrameException,
                    // TooLongFrameException) after the connection closed: an embedded channel
                    // finishes the close at once, so the rest of the bytes meet an empty pipeline.
                    assertThat(channel.isOpen()).as("a violation closes the connection").isFalse();
                }
                channel.runPendingTasks();
            }
            checkAnswers(channel, requests);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** Every request the codec let through gets one response with its id, and no handler threw. */
    private static void checkAnswers(EmbeddedChannel channel, List<Request> requests) {
        Map<Long, Integer> unanswered = new HashMap<>();
        for (Request request : requests) {
            unanswered.merge(request.getId(), 1, Integer::sum);
        }
        Object out;
        while ((out = channel.readOutbound()) != null) {
            try {
                if (out instanceof BinaryWebSocketFrame binary) {
                    Response response = parseResponse(binary.content());
                    assertThat(response.getError()).as("a handler threw").isNotEqualTo(ErrorCode.INTERNAL);
                    Integer left = unanswered.get(response.getId());
                    assertThat(left).as("a response answers a request that came in").isNotNull();
                    if (left == 1) {
                        unanswered.remove(response.getId());
                    } else {
                        unanswered.put(response.getId(), left - 1);
                    }
                } else {
                    assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
                }
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
        assertThat(unanswered).as("requests without an answer").isEmpty();
    }

    private static Response parseResponse(ByteBuf content) {
        try {
            Frame frame = Frame.parseFrom(io.netty.buffer.ByteBufUtil.getBytes(content));
            assertThat(frame.hasResponse()).isTrue();
            return frame.getResponse();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError("the server wrote a frame that does not parse", e);
        }
    }

    /** One unfragmented binary message as a client sends it (RFC 6455: masked). */
    private static ByteBuf maskedBinaryMessage(byte[] payload, int mask) {
        ByteBuf out = Unpooled.buffer(payload.length + 14);
        out.writeByte(0x82);
        if (payload.length < 126) {
            out.writeByte(0x80 | payload.length);
        } else if (payload.length < 65536) {
            out.writeByte(0x80 | 126).writeShort(payload.length);
        } else {
            out.writeByte(0x80 | 127).writeLong(payload.length);
        }
        out.writeInt(mask);
        byte[] key = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
        for (int i = 0; i < payload.length; i++) {
            out.writeByte(payload[i] ^ key[i & 3]);
        }
        return out;
    }
}
