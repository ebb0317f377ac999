// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.server.api.Caller;
import org.svyaz.server.api.Dispatcher;
import org.svyaz.server.identity.ServerIdentity;
import org.svyaz.server.limits.LocalRateLimiter;
import org.svyaz.server.store.files.DirectoryBlobStore;

/**
 * What one connection or one address may hold of the server (issue #16, point 6), played over real
 * TCP and TLS on loopback against the transport with a dispatcher of the test's own: requests
 * pipelined without end, answers never read, connections beyond the caps, a request head sent a
 * byte at a time.
 */
@Timeout(120)
class TransportLimitsIT {
    private static final String HOLD = "test/hold";
    private static final String BIG = "test/big";
    private static final String CREDENTIALS = "Basic dGVzdA==";
    private static final int BIG_ANSWER_BYTES = 64 * 1024;

    @TempDir
    Path temp;

    private final AtomicInteger dispatched = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Socket> sockets = new ArrayList<>();
    private TransportServer server;

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.close();
        }
        workers.shutdownNow();
    }

    private static TransportLimits limits(int total, int perAddress, int anonymousPerAddress, Duration headTimeout) {
        return new TransportLimits(1024 * 1024, Duration.ofMinutes(2), total, perAddress, anonymousPerAddress,
                32, 4, headTimeout);
    }

    private TransportServer start(TransportLimits limits) throws Exception {
        Dispatcher dispatcher = new Dispatcher(new SimpleMeterRegistry())
                .anonymous(HOLD, (caller, body) -> {
                    dispatched.incrementAndGet();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Request.getDefaultInstance();
                })
                .anonymous(BIG, (caller, body) -> {
                    dispatched.incrementAndGet();
                    return Request.newBuilder().setBody(ByteString.copyFrom(new byte[BIG_ANSWER_BYTES])).build();
                });
        ServerIdentity identity = ServerIdentity.loadOrCreate(temp);
        Clock clock = Clock.systemUTC();
        server = TransportServer.start(new InetSocketAddress("127.0.0.1", 0), identity.tlsKey(), identity.tlsCertificate(),
                header -> header.equals(CREDENTIALS) ? Optional.of(new Caller(UUID.randomUUID(), 1)) : Optional.empty(),
                dispatcher, workers, (caller, session) -> () -> { }, limits,
                DirectoryBlobStore.open(temp.resolve("blobs")),
                new BlobLimits(1024 * 1024, new LocalRateLimiter(1000, 1, clock), new LocalRateLimiter(1000, 1, clock),
                        1024 * 1024));
        return server;
    }

    @Test
    void aConnectionWithoutCredentialsHasAtMostItsShareOfRequestsRunning() throws Exception {
        start(limits(100, 100, 50, Duration.ofSeconds(60)));
        assertPipelinedRequestsStopAt(false, 4);
    }

    @Test
    void anAuthenticatedConnectionHasAtMostItsShareOfRequestsRunning() throws Exception {
        start(limits(100, 100, 50, Duration.ofSeconds(60)));
        assertPipelinedRequestsStopAt(true, 32);
    }

    /**
     * Requests that never finish, pipelined as fast as the server takes them. Before, every frame got
     * a thread of its own at once; now {@code limit} run and the server stops reading the connection.
     */
    private void assertPipelinedRequestsStopAt(boolean authenticated, int limit) throws Exception {
        SSLSocket socket = webSocket("127.0.0.1", authenticated);
        int requests = 600_000;
        byte[] batch = requests(HOLD, 1000);
        AtomicLong written = new AtomicLong();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                OutputStream out = socket.getOutputStream();
                // Stops early once the server runs more than it may: the attack has worked.
                for (int sent = 0; sent < requests && dispatched.get() <= limit; sent += 1000) {
                    out.write(batch);
                    written.addAndGet(batch.length);
                }
                out.flush();
            } catch (IOException e) {
                // Closed at the end, while blocked because the server stopped reading: as intended.
            }
        });
        awaitWriterStalls(writer, written);
        long offered = (long) batch.length * (requests / 1000);
        assertThat(dispatched.get()).as("requests running for one connection").isEqualTo(limit);
        assertThat(written.get()).as("bytes of requests the server took of %d offered", offered).isLessThan(offered);
        // The writer, blocked, ends when stop() closes the TCP socket under it.
    }

    @Test
    void answersThatAreNeverReadAreNotHeldInMemory() throws Exception {
        start(limits(100, 100, 50, Duration.ofSeconds(60)));
        SSLSocket socket = webSocket("127.0.0.1", false);
        int requests = 1000;
        socket.getOutputStream().write(requests(BIG, requests));
        socket.getOutputStream().flush();
        // Until the server stops taking requests for a second (bounded).
        int seen = -1;
        for (int i = 0; i < 30 && dispatched.get() != seen && dispatched.get() < requests; i++) {
            seen = dispatched.get();
            Thread.sleep(1000);
        }
        long held = server.bytesWaitingToBeSent();
        // Before, every answer was written whether or not the client read: about 60 MB held here. Now
        // the connection is read no further while its answers wait, so the server holds a few of them.
        assertThat(dispatched.get()).as("requests handled of %d", requests).isLessThan(requests);
        assertThat(held).as("bytes the server holds for a client who does not read").isLessThan(2L * 1024 * 1024);
    }

    @Test
    void oneAddressHoldsOnlyItsShareOfConnections() throws Exception {
        int share = 5;
        start(limits(100, share, 50, Duration.ofSeconds(60)));
        List<Socket> mine = new ArrayList<>();
        for (int i = 0; i < share; i++) {
            mine.add(tls("127.0.0.2"));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> server.connectionsOpen() == share);
        Socket onceTooMany = connectFrom("127.0.0.2");
        assertThat(closedByPeer(onceTooMany)).as("a connection beyond the address's share").isTrue();
        assertThat(closedCount(mine)).as("the address's connections within its share").isZero();
        // Another address still gets in, all the way to a WebSocket.
        webSocket("127.0.0.3", false);
        assertThat(server.connectionsOpen()).isEqualTo(share + 1);
    }

    /**
     * A full server makes room for a newcomer by closing its oldest connection without credentials;
     * an account's WebSocket, older still, keeps its slot. Before, the newcomer was closed, so
     * strangers holding every slot locked out everyone else.
     */
    @Test
    void aFullServerMakesRoomByClosingItsOldestConnectionWithoutCredentials() throws Exception {
        int total = 4;
        start(limits(total, 100, 50, Duration.ofSeconds(60)));
        SSLSocket account = webSocket("127.0.0.10", true);
        List<Socket> strangers = new ArrayList<>();
        for (int i = 1; i < total; i++) {
            strangers.add(connectFrom("127.0.0." + (10 + i)));
            int expected = i + 1;
            await().atMost(Duration.ofSeconds(20)).until(() -> server.connectionsOpen() == expected);
        }
        Socket newcomer = connectFrom("127.0.0.20");
        assertThat(closedByPeer(strangers.getFirst())).as("the oldest connection without credentials").isTrue();
        assertThat(closedCount(strangers.subList(1, strangers.size()))).as("the younger ones").isZero();
        assertThat(closedByPeer(newcomer)).as("the newcomer").isFalse();
        assertThat(closedByPeer(account)).as("the account's WebSocket").isFalse();
        await().atMost(Duration.ofSeconds(20)).until(() -> server.connectionsOpen() == total);
    }

    @Test
    void aServerFullOfAuthenticatedConnectionsRefusesNewcomers() throws Exception {
        int total = 2;
        start(limits(total, 100, 50, Duration.ofSeconds(60)));
        List<Socket> accounts = List.of(webSocket("127.0.0.10", true), webSocket("127.0.0.11", true));
        assertThat(closedByPeer(connectFrom("127.0.0.20"))).as("a connection beyond the server's cap").isTrue();
        assertThat(closedCount(accounts)).isZero();
        assertThat(server.connectionsOpen()).isEqualTo(total);
    }

    @Test
    void oneAddressHoldsFewerWebSocketsWithoutCredentials() throws Exception {
        start(limits(100, 10, 2, Duration.ofSeconds(60)));
        webSocket("127.0.0.2", false);
        webSocket("127.0.0.2", false);
        assertThat(upgrade("127.0.0.2", false)).as("a third without credentials").startsWith("HTTP/1.1 429");
        assertThat(upgrade("127.0.0.2", true)).as("one with credentials").startsWith("HTTP/1.1 101");
        assertThat(upgrade("127.0.0.3", false)).as("another address").startsWith("HTTP/1.1 101");
    }

    /**
     * A path or query with a broken escape ({@code %} without two hex digits) gets a 400, and the
     * server goes on answering. Found by the blob-header fuzz target: Netty's decoder threw out of
     * the handlers, and the request got no answer.
     */
    @Test
    void aBrokenEscapeInThePathOrQueryGetsA400() throws Exception {
        start(limits(100, 100, 50, Duration.ofSeconds(60)));
        for (String target : List.of("/v1/blobs/%", "/%zz", ApiPaths.PROBE_DOWNLOAD + "?bytes=%4")) {
            assertThat(statusLine(tls("127.0.0.1"), "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
                    .as(target).startsWith("HTTP/1.1 400");
        }
        assertThat(upgrade("127.0.0.1", false)).as("the server carries on").startsWith("HTTP/1.1 101");
    }

    /** Sends {@code request} and reads the answer's status line. */
    private static String statusLine(SSLSocket socket, String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
            line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void aRequestHeadSentAByteAtATimeIsCutOff() throws Exception {
        start(limits(100, 100, 50, Duration.ofSeconds(1)));
        SSLSocket socket = tls("127.0.0.1");
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + ApiPaths.WEBSOCKET + " HTTP/1.1\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // A header byte every 200 ms: far more often than the idle timeout (2 minutes) would notice.
        boolean closed = false;
        for (int i = 0; i < 100 && !closed; i++) {
            try {
                out.write('X');
                out.flush();
                Thread.sleep(200);
            } catch (IOException e) {
                closed = true;
            }
        }
        assertThat(closed).as("the server closed a connection whose request head never ended").isTrue();
    }

    // ---- a WebSocket client by hand, so that it can misbehave ----

    /** An upgraded WebSocket (101 read), with or without credentials. */
    private SSLSocket webSocket(String from, boolean authenticated) throws Exception {
        SSLSocket socket = tls(from);
        String status = upgrade(socket, authenticated);
        assertThat(status).startsWith("HTTP/1.1 101");
        return socket;
    }

    /** The status line the server answers an upgrade with. */
    private String upgrade(String from, boolean authenticated) throws Exception {
        return upgrade(tls(from), authenticated);
    }

    private static String upgrade(SSLSocket socket, boolean authenticated) throws IOException {
        String request = "GET " + ApiPaths.WEBSOCKET + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (authenticated ? "Authorization: " + CREDENTIALS + "\r\n" : "") + "\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** {@code count} masked binary WebSocket frames, each a request for {@code path}. */
    private static byte[] requests(String path, int count) {
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            byte[] payload = Frame.newBuilder().setRequest(Request.newBuilder().setId(i + 1).setPath(path)).build()
                    .toByteArray();
            frames.write(0x82); // FIN, binary
            frames.write(0x80 | payload.length); // masked; under 126 bytes
            frames.writeBytes(new byte[4]); // a zero mask leaves the payload as it is
            frames.writeBytes(payload);
        }
        return frames.toByteArray();
    }

    private SSLSocket tls(String from) throws Exception {
        Socket raw = connectFrom(from);
        SSLSocket socket = (SSLSocket) trustAll().getSocketFactory()
                .createSocket(raw, "127.0.0.1", server.address().getPort(), true);
        socket.setSoTimeout(30_000);
        socket.startHandshake();
        // Only the TCP socket is closed at the end: closing TLS would wait for a writer the server no longer reads.
        return socket;
    }

    /** A plain TCP connection from {@code local} (any 127/8 address works on loopback). */
    private Socket connectFrom(String local) throws IOException {
        Socket socket = new Socket();
        // Small buffers: what the kernel holds for a client that does not read stays small.
        socket.setReceiveBufferSize(8 * 1024);
        socket.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        socket.connect(server.address(), 10_000);
        sockets.add(socket);
        return socket;
    }

    /** Until the writer is done or the server stops taking its bytes for a second (bounded). */
    private static void awaitWriterStalls(Thread writer, AtomicLong written) throws InterruptedException {
        long seen = -1;
        for (int i = 0; i < 60 && writer.isAlive() && written.get() != seen; i++) {
            seen = written.get();
            writer.join(Duration.ofSeconds(1));
        }
    }

    /** Whether the server closed {@code socket}: reading ends (or fails) instead of waiting. */
    private static boolean closedByPeer(Socket socket) throws IOException {
        socket.setSoTimeout(500);
        try {
            InputStream in = socket.getInputStream();
            byte[] rest = new byte[16 * 1024];
            for (int i = 0; i < 1000; i++) {
                if (in.read(rest) < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static long closedCount(List<Socket> sockets) throws IOException {
        long closed = 0;
        for (Socket socket : sockets) {
            closed += closedByPeer(socket) ? 1 : 0;
        }
        return closed;
    }

    private static SSLContext trustAll() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        return tls;
    }
}
