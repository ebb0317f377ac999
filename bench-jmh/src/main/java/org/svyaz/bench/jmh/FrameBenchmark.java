// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.jmh;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import java.io.ByteArrayOutputStream;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.protocol.wire.SendResponse;
import org.svyaz.protocol.ws.FrameCodec;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.Caller;
import org.svyaz.server.api.Dispatcher;
import org.svyaz.server.api.RequestHandler;
import org.svyaz.server.transport.FrameHandler;
import org.svyaz.server.transport.InFlightRequests;
import org.svyaz.server.transport.WebSocketSession;

/**
 * The server's WebSocket framing: a device's send request coming in, and an envelope pushed out.
 *
 * <p>The Netty benchmarks drive the server's own {@link FrameHandler} and {@link WebSocketSession}
 * in an {@link EmbeddedChannel} behind the same WebSocket codec, aggregator and {@link FrameCodec}
 * the server's pipeline uses (ServerChannelInitializer), with TLS and HTTP left out. Requests run
 * on a direct executor instead of the server's worker pool, so a thread hand-off is not measured. The send route parses
 * the body as the real route does and answers an empty SendResponse; storing the message is
 * {@link MailboxBenchmark}'s business. The protobuf-only benchmarks show how much of the cost is
 * parsing and serializing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FrameBenchmark {
    /** The name UpgradeHandler stores a connection's authenticated device under; AttributeKey names are global. */
    private static final AttributeKey<Optional<Caller>> CALLER = AttributeKey.valueOf("svyaz.caller");

    @Param("256")
    public int ciphertextBytes;

    /** Protobuf bytes of the Frame carrying the send request. */
    byte[] sendRequestFrame;
    /** The same frame as a device puts it on the wire: one masked binary WebSocket message. */
    byte[] sendRequestWire;
    SendRequest sendRequest;
    ByteString envelope;

    EmbeddedChannel channel;
    WebSocketSession session;
    /** What the send route last parsed; the test compares it with what was sent. */
    SendRequest lastParsed;
    /** The id WebSocketSession gives its next push: it counts from 1 per connection. */
    long nextPushId = 1;
    /** The last push's answer: still open after an iteration means the acks missed and pushes piled up. */
    private CompletableFuture<Response> lastAnswer;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        sendRequest = Fixtures.sendRequest(random, ciphertextBytes);
        sendRequestFrame = Frame.newBuilder()
                .setRequest(Request.newBuilder().setId(1).setPath(ApiPaths.MESSAGES_SEND).setBody(sendRequest.toByteString()))
                .build()
                .toByteArray();
        sendRequestWire = maskedClientMessage(sendRequestFrame);
        envelope = ByteString.copyFrom(Fixtures.envelope(random, ciphertextBytes));

        Dispatcher dispatcher = new Dispatcher(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                .authenticated(ApiPaths.MESSAGES_SEND, this::send);
        FrameHandler.SessionListener listener = (caller, opened) -> {
            session = opened;
            return () -> {};
        };
        Executor direct = Runnable::run;
        channel = new EmbeddedChannel(
                new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(Fixtures.MAX_FRAME_BYTES)
                        .allowExtensions(false)
                        .closeOnProtocolViolation(false)
                        .build()),
                new WebSocket13FrameEncoder(false),
                new WebSocketFrameAggregator(Fixtures.MAX_FRAME_BYTES),
                new FrameCodec(Fixtures.MAX_FRAME_BYTES),
                new FrameHandler(dispatcher, direct, new InFlightRequests(), listener));
        // What UpgradeHandler and the WebSocket handshake leave behind on an authenticated connection.
        channel.attr(CALLER).set(Optional.of(new Caller(new UUID(1, 2), 1)));
        channel.pipeline().fireUserEventTriggered(new WebSocketServerProtocolHandler.HandshakeComplete(
                ApiPaths.WEBSOCKET, EmptyHttpHeaders.INSTANCE, null));
        if (session == null) {
            throw new IllegalStateException("FrameHandler did not open a session on HandshakeComplete");
        }
    }

    @TearDown(Level.Iteration)
    public void checkPushesAnswered() {
        if (lastAnswer != null && !lastAnswer.isDone()) {
            throw new IllegalStateException("the acknowledgements did not match the pushes; the numbers are void");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    /** Protobuf only: the two parses FrameCodec and the send route make of an incoming send. */
    @Benchmark
    public SendRequest decodeSendRequestProtobuf() throws InvalidProtocolBufferException {
        Frame frame = Frame.parseFrom(sendRequestFrame);
        return SendRequest.parseFrom(frame.getRequest().getBody());
    }

    /** Protobuf only: the Frame WebSocketSession.push serializes around a stored envelope. */
    @Benchmark
    public byte[] encodeEnvelopePushProtobuf() {
        return Frame.newBuilder()
                .setRequest(Request.newBuilder().setId(nextPushId).setPath(ApiPaths.PUSH_MESSAGE).setBody(envelope))
                .build()
                .toByteArray();
    }

    /**
     * A send request's WebSocket bytes in, through WebSocket decoding, FrameCodec, FrameHandler, the
     * Dispatcher and the route's parse, and the response's WebSocket bytes out. Returns the
     * response's size.
     */
    @Benchmark
    public int handleSendRequest() {
        channel.writeInbound(Unpooled.wrappedBuffer(sendRequestWire));
        return drainOutbound(null);
    }

    /**
     * WebSocketSession.push of an envelope (serialize, WebSocket-encode) and the device's
     * acknowledgement coming back through FrameCodec and FrameHandler to complete the push. The
     * acknowledgement's few bytes are built here, which is the device's work, not the server's; it
     * is small.
     */
    @Benchmark
    public void pushEnvelopeAndAck(Blackhole sink) {
        CompletableFuture<Response> answer = session.push(ApiPaths.PUSH_MESSAGE, envelope);
        sink.consume(drainOutbound(null));
        channel.writeInbound(Unpooled.wrappedBuffer(acknowledgement(nextPushId++)));
        sink.consume(answer.getNow(null));
        lastAnswer = answer;
    }

    private SendResponse send(Caller caller, ByteString body) throws ApiException {
        lastParsed = RequestHandler.parse(SendRequest.parser(), body);
        return SendResponse.getDefaultInstance();
    }

    /** Reads and releases everything the channel wrote; returns the byte count. Copies into {@code copy} when given. */
    int drainOutbound(ByteArrayOutputStream copy) {
        int bytes = 0;
        for (Object written = channel.readOutbound(); written != null; written = channel.readOutbound()) {
            ByteBuf buffer = (ByteBuf) written;
            try {
                bytes += buffer.readableBytes();
                if (copy != null) {
                    byte[] array = new byte[buffer.readableBytes()];
                    buffer.readBytes(array);
                    copy.writeBytes(array);
                }
            } finally {
                buffer.release();
            }
        }
        return bytes;
    }

    /**
     * A device's answer to push {@code id}, as a masked WebSocket message. The mask key is zero
     * (legal; the key is the client's choice) so no encoder is needed; the payload is under 126
     * bytes, so the length fits the header's first length byte.
     */
    static byte[] acknowledgement(long id) {
        byte[] payload = Frame.newBuilder().setResponse(Response.newBuilder().setId(id).setError(ErrorCode.OK))
                .build().toByteArray();
        byte[] wire = new byte[6 + payload.length];
        wire[0] = (byte) 0x82; // FIN, binary
        wire[1] = (byte) (0x80 | payload.length); // masked, length
        System.arraycopy(payload, 0, wire, 6, payload.length);
        return wire;
    }

    /** A client's WebSocket message, masked with a random key as a browser or the Svyaz client sends it. */
    static byte[] maskedClientMessage(byte[] payload) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameEncoder(true));
        try {
            client.writeOutbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload)));
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            for (Object written = client.readOutbound(); written != null; written = client.readOutbound()) {
                ByteBuf buffer = (ByteBuf) written;
                byte[] array = new byte[buffer.readableBytes()];
                buffer.readBytes(array);
                buffer.release();
                wire.writeBytes(array);
            }
            return wire.toByteArray();
        } finally {
            client.finishAndReleaseAll();
        }
    }
}
