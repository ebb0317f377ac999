// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.svyaz.client.net.PinnedTrustManager;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.server.SvyazServer;

/**
 * A WebSocket to the test server that sends whatever bytes a test wants, built on the JDK's HTTP
 * client rather than the library's {@code ServerConnection} so that it can send what the library
 * never would (garbage, text frames, oversized frames). TLS is still pinned to the invite link.
 */
final class RawSocket implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http;
    private final WebSocket webSocket;
    private final LinkedBlockingQueue<Frame> frames;
    private final CompletableFuture<Integer> closeStatus;
    private final AtomicLong nextId = new AtomicLong(1);

    private RawSocket(HttpClient http, WebSocket webSocket, LinkedBlockingQueue<Frame> frames,
                      CompletableFuture<Integer> closeStatus) {
        this.http = http;
        this.webSocket = webSocket;
        this.frames = frames;
        this.closeStatus = closeStatus;
    }

    /** Connects anonymously (no credentials) or with {@code authorization} as the Authorization header. */
    static RawSocket connect(SvyazServer server, Optional<String> authorization) throws Exception {
        HttpClient http = client(server);
        LinkedBlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closeStatus = new CompletableFuture<>();
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(TIMEOUT);
        authorization.ifPresent(value -> builder.header("Authorization", value));
        try {
            WebSocket webSocket = builder.buildAsync(uri(server), new Collector(frames, closeStatus))
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return new RawSocket(http, webSocket, frames, closeStatus);
        } catch (Exception e) {
            http.close();
            throw e;
        }
    }

    static RawSocket connect(SvyazServer server, DeviceCredentials credentials) throws Exception {
        return connect(server, Optional.of(credentials.toAuthorizationHeader()));
    }

    static URI uri(SvyazServer server) {
        return URI.create("wss://127.0.0.1:" + server.address().getPort() + ApiPaths.WEBSOCKET);
    }

    /** An HTTP client that trusts exactly the pinned server key, like the real client does. */
    static HttpClient client(SvyazServer server) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        PinnedTrustManager pinned = new PinnedTrustManager(server.inviteLink().descriptor().getTlsKeyPinsList()
                .stream().map(ByteString::toByteArray).toList());
        tls.init(null, new TrustManager[] {new PinOnly(pinned)}, new SecureRandom());
        return HttpClient.newBuilder().sslContext(tls).connectTimeout(TIMEOUT).build();
    }

    void sendBinary(byte[] bytes) throws Exception {
        webSocket.sendBinary(ByteBuffer.wrap(bytes), true).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sends without waiting: the server may close the connection before it has read everything. */
    void sendBinaryNoWait(byte[] bytes) {
        webSocket.sendBinary(ByteBuffer.wrap(bytes), true);
    }

    void sendText(String text) throws Exception {
        webSocket.sendText(text, true).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sends one request frame and returns the response with its id; pushes in between are skipped. */
    Response call(String path, ByteString body) throws Exception {
        long id = nextId.getAndIncrement();
        sendBinary(Frame.newBuilder().setRequest(Request.newBuilder().setId(id).setPath(path).setBody(body))
                .build().toByteArray());
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            Frame frame = frames.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (frame == null) {
                throw new AssertionError("no response to request " + id + " on " + path
                        + (closeStatus.isDone() ? "; the connection closed with " + closeStatus.getNow(null) : ""));
            }
            if (frame.hasResponse() && frame.getResponse().getId() == id) {
                return frame.getResponse();
            }
        }
    }

    /** The WebSocket status code the server closed the connection with. */
    int awaitCloseStatus() throws Exception {
        return closeStatus.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean closedByServer() {
        return closeStatus.isDone();
    }

    @Override
    public void close() {
        webSocket.abort();
        http.close();
    }

    /** Collects whole binary messages as frames and remembers the close status. */
    private static final class Collector implements WebSocket.Listener {
        private final LinkedBlockingQueue<Frame> frames;
        private final CompletableFuture<Integer> closeStatus;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        Collector(LinkedBlockingQueue<Frame> frames, CompletableFuture<Integer> closeStatus) {
            this.frames = frames;
            this.closeStatus = closeStatus;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            partial.writeBytes(chunk);
            if (last) {
                try {
                    frames.add(Frame.parseFrom(partial.toByteArray()));
                } catch (InvalidProtocolBufferException e) {
                    closeStatus.completeExceptionally(new AssertionError("the server sent a malformed frame", e));
                }
                partial.reset();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            closeStatus.completeExceptionally(new AssertionError("the server sent a text frame: " + data));
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeStatus.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeStatus.completeExceptionally(error);
        }
    }

    /**
     * Checks only the pin. Being an X509ExtendedTrustManager stops the JDK from adding its own host
     * name check (the server's certificate names no IP address, and the pin is the identity anyway).
     */
    private static final class PinOnly extends X509ExtendedTrustManager {
        private final PinnedTrustManager pinned;

        PinOnly(PinnedTrustManager pinned) {
            this.pinned = pinned;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            pinned.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            pinned.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            pinned.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return pinned.getAcceptedIssuers();
        }
    }
}
