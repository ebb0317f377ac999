// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP transport on loopback: rpc, events, check, and every refusal. */
// A blocked socket write or read must fail the test, never hang the build.
@Timeout(60)
class HttpIT {
    private static final int BODY_LIMIT = 4_096;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_000), ZoneOffset.UTC);

    @TempDir
    Path temp;

    private final TestMethods methods = new TestMethods();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private ReceiveHub hub;
    private int port;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose.reversed()) {
            closeable.close();
        }
        http.shutdownNow();
    }

    @Test
    void oneRequestGetsJsonAndABatchAnArray() throws Exception {
        start(DaemonConfig.none());

        HttpResponse<String> single = post("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"hi\"},\"id\":1}");
        assertThat(single.statusCode()).isEqualTo(200);
        assertThat(single.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(single.body()).isEqualTo("{\"jsonrpc\":\"2.0\",\"result\":\"hi\",\"id\":1}");

        HttpResponse<String> batch = post("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"a\"},\"id\":1},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"touch\"},{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2}]");
        JsonNode replies = RecordingPeer.parse(batch.body());
        assertThat(replies).hasSize(2);
        assertThat(replies.get(1).at("/error/code").intValue()).isEqualTo(RpcErrorCode.METHOD_NOT_FOUND);

        HttpResponse<String> subscribe = post("{\"jsonrpc\":\"2.0\",\"method\":\"subscribeReceive\",\"id\":3}");
        assertThat(RecordingPeer.parse(subscribe.body()).at("/error/code").intValue()).isEqualTo(RpcErrorCode.USER_ERROR);
    }

    @Test
    void notificationsOnlyGetNoContent() throws Exception {
        start(DaemonConfig.none());

        HttpResponse<String> response = post("[{\"jsonrpc\":\"2.0\",\"method\":\"touch\"},{\"jsonrpc\":\"2.0\",\"method\":\"touch\"}]");

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(response.body()).isEmpty();
        assertThat(methods.touched).hasValue(2);
    }

    @Test
    void wrongMethodsTooLargeBodiesAndUnknownPathsAreRefused() throws Exception {
        start(DaemonConfig.none());

        HttpResponse<String> get = http.send(request("/api/v1/rpc").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).contains("POST");
        String big = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"" + "x".repeat(BODY_LIMIT) + "\"},\"id\":1}";
        assertThat(post(big).statusCode()).isEqualTo(413);
        String fits = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"" + "x".repeat(BODY_LIMIT - 100) + "\"},\"id\":1}";
        assertThat(post(fits).statusCode()).isEqualTo(200);
        HttpResponse<String> postCheck = http.send(request("/api/v1/check").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(postCheck.statusCode()).isEqualTo(405);
        assertThat(get("/api/v1/rpcx").statusCode()).isEqualTo(404);
        assertThat(get("/").statusCode()).isEqualTo(404);
    }

    @Test
    void checkSaysTheDaemonRuns() throws Exception {
        start(DaemonConfig.none());

        assertThat(get("/api/v1/check").statusCode()).isEqualTo(200);
    }

    @Test
    void onlyTheDaemonsOwnHostIsServed() throws Exception {
        start(DaemonConfig.none());

        assertThat(rawStatus("Host: 127.0.0.1:" + port)).isEqualTo(200);
        assertThat(rawStatus("Host: localhost:" + port)).isEqualTo(200);
        assertThat(rawStatus("Host: [::1]:" + port)).isEqualTo(200);
        assertThat(rawStatus("Host: attacker.example:" + port)).isEqualTo(403);
        assertThat(rawStatus("Host: 127.0.0.1:" + (port + 1))).isEqualTo(403);
        assertThat(rawStatus("Host: 127.0.0.1")).isEqualTo(403);
    }

    @Test
    void aRequestFromAnotherOriginIsRefused() throws Exception {
        start(DaemonConfig.none());

        assertThat(rawStatus("Host: 127.0.0.1:" + port, "Origin: http://attacker.example")).isEqualTo(403);
        assertThat(rawStatus("Host: 127.0.0.1:" + port, "Origin: null")).isEqualTo(403);
        assertThat(rawStatus("Host: 127.0.0.1:" + port, "Origin: http://127.0.0.1:" + (port + 1))).isEqualTo(403);
        assertThat(rawStatus("Host: 127.0.0.1:" + port, "Origin: http://127.0.0.1:" + port)).isEqualTo(200);
        HttpResponse<String> scripted = http.send(request("/api/v1/rpc").header("Origin", "https://attacker.example")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"method\":\"touch\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(scripted.statusCode()).isEqualTo(403);
        assertThat(methods.touched).hasValue(0);
    }

    @Test
    void withATokenFileEveryRequestNeedsTheBearerToken() throws Exception {
        Path tokenFile = Files.writeString(temp.resolve("token"), "s3cret-token\n");
        start(DaemonConfig.none().withHttpTokenFile(tokenFile));
        String call = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"ok\"},\"id\":1}";

        HttpResponse<String> none = http.send(request("/api/v1/rpc").POST(HttpRequest.BodyPublishers.ofString(call)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        for (String wrong : new String[] {"Bearer s3cret-toke", "Bearer s3cret-token2", "Basic s3cret-token", "s3cret-token"}) {
            assertThat(http.send(request("/api/v1/rpc").header("Authorization", wrong)
                    .POST(HttpRequest.BodyPublishers.ofString(call)).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).as(wrong).isEqualTo(401);
        }
        assertThat(http.send(request("/api/v1/check").GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(401);

        HttpResponse<String> right = http.send(request("/api/v1/rpc").header("Authorization", "Bearer s3cret-token")
                .POST(HttpRequest.BodyPublishers.ofString(call)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(right.statusCode()).isEqualTo(200);
        assertThat(right.body()).contains("\"result\":\"ok\"");
    }

    @Test
    void eventsStreamAsServerSentEventsWithIds() throws Exception {
        start(DaemonConfig.none());
        EventStream stream = openEvents(null);

        hub.publish("alice.01", ReceiveHubTest.envelope("first"));
        hub.publish("alice.01", ReceiveHubTest.envelope("second"));

        assertThat(stream.next()).isEqualTo("id: 1000001");
        assertThat(stream.next()).isEqualTo("event: receive");
        assertThat(stream.next()).isEqualTo("data: {\"envelope\":{\"body\":\"first\"},\"account\":\"alice.01\"}");
        assertThat(stream.next()).isEmpty();
        assertThat(stream.next()).isEqualTo("id: 1000002");
    }

    @Test
    void aReconnectingClientGetsTheEventsAfterItsLastIdOrAllWhenTheIdIsUnknown() throws Exception {
        start(DaemonConfig.none());
        for (String body : List.of("one", "two", "three")) {
            hub.publish("alice.01", ReceiveHubTest.envelope(body));
        }

        EventStream resumed = openEvents("1000001");
        assertThat(resumed.events(2)).containsExactly("1000002", "1000003");
        EventStream unknown = openEvents("999");
        assertThat(unknown.events(3)).containsExactly("1000001", "1000002", "1000003");

        hub.publish("alice.01", ReceiveHubTest.envelope("four"));
        assertThat(resumed.events(1)).containsExactly("1000004");
        assertThat(unknown.events(1)).containsExactly("1000004");
    }

    @Test
    void aStreamResumedWithAnIdFromNowhereStillGetsNewEvents() throws Exception {
        // No heartbeat within the test's wait: the event must come because it was published, not because a
        // heartbeat happened to wake the stream.
        start(DaemonConfig.none().withHeartbeat(Duration.ofMinutes(5)));
        EventStream future = openEvents("99999999999999999");
        EventStream garbage = openEvents("not-a-number");

        hub.publish("alice.01", ReceiveHubTest.envelope("new"));

        assertThat(future.events(1)).containsExactly("1000001");
        assertThat(garbage.events(1)).containsExactly("1000001");
    }

    @Test
    void anIdleStreamGetsHeartbeatComments() throws Exception {
        start(DaemonConfig.none().withHeartbeat(Duration.ofMillis(100)));
        EventStream stream = openEvents(null);

        assertThat(stream.next()).isEqualTo(": heartbeat");
    }

    @Test
    void openingTheEventStreamStartsManualReceiving() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        hub = new ReceiveHub(ReceiveMode.MANUAL, starts::incrementAndGet);
        startWith(DaemonConfig.none(), hub);
        assertThat(starts).hasValue(0);

        openEvents(null);

        await().atMost(Duration.ofSeconds(10)).until(() -> starts.get() == 1);
    }

    @Test
    void theWebAppIsServedUnderItsPolicyAndItsApiTakesOnlyTheSession() throws Exception {
        AppSessions sessions = new AppSessions(Clock.systemUTC());
        start(DaemonConfig.none().withApp(sessions));

        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
                .contains("script-src 'self'").contains("default-src 'none'").doesNotContain("unsafe-inline");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(page.body()).contains("/js/main.js").doesNotContain("<script>");
        assertThat(get("/js/main.js").headers().firstValue("Content-Type")).contains("text/javascript; charset=utf-8");
        assertThat(get("/i18n/ru.json").body()).contains("Связь");
        for (String outside : List.of("/%2e%2e/pom.xml", "/js/../../org/svyaz/app/Main.class", "/nosuch.js",
                "/web/index.html", "/logback.xml", "/js/main.js.map")) {
            assertThat(get(outside).statusCode()).as(outside).isEqualTo(404);
        }

        String call = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"hi\"},\"id\":1}";
        assertThat(post(call).statusCode()).as("no session").isEqualTo(401);
        assertThat(get("/api/v1/events").statusCode()).isEqualTo(401);
        assertThat(trade("{\"secret\":\"wrong\"}").statusCode()).isEqualTo(403);
        assertThat(trade("not json").statusCode()).isEqualTo(403);

        String secret = sessions.newSecret();
        HttpResponse<String> traded = trade("{\"secret\":\"" + secret + "\"}");
        assertThat(traded.statusCode()).isEqualTo(204);
        String cookie = traded.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).startsWith(AppSessions.COOKIE + "=").contains("HttpOnly").contains("SameSite=Strict");
        assertThat(trade("{\"secret\":\"" + secret + "\"}").statusCode()).as("good once").isEqualTo(403);
        HttpResponse<String> withSession = http.send(request("/api/v1/rpc").header("Cookie", cookie.split(";")[0])
                .POST(HttpRequest.BodyPublishers.ofString(call)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(withSession.statusCode()).isEqualTo(200);
        assertThat(withSession.body()).contains("\"result\":\"hi\"");
    }

    @Test
    void theAppUploadsFilesWithinTheLimitAndServesOnlyReceivedOnes() throws Exception {
        AppSessions sessions = new AppSessions(Clock.systemUTC());
        Path received = Files.createDirectories(temp.resolve("received"));
        Files.writeString(received.resolve("a1"), "received bytes");
        AppFiles files = new AppFiles() {
            @Override
            public Path received(String account, String id) throws RpcException {
                if (!account.equals("alice.1") || !id.equals("a1")) {
                    throw RpcException.userError("No received attachment has the id '" + id + "'.");
                }
                return received.resolve(id);
            }

            @Override
            public Path uploads() {
                return temp.resolve("uploads");
            }
        };
        start(DaemonConfig.none().withApp(sessions).withAppFiles(files));
        String cookie = trade("{\"secret\":\"" + sessions.newSecret() + "\"}").headers()
                .firstValue("Set-Cookie").orElseThrow().split(";")[0];

        HttpResponse<String> noSession = http.send(request("/api/v1/upload?filename=x.txt")
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noSession.statusCode()).isEqualTo(401);

        HttpResponse<String> uploaded = http.send(request("/api/v1/upload?filename=..%2F..%2Fnotes.txt")
                .header("Cookie", cookie).POST(HttpRequest.BodyPublishers.ofString("заметки")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(uploaded.statusCode()).isEqualTo(200);
        Path stored = Path.of(RecordingPeer.parse(uploaded.body()).get("path").asText());
        assertThat(stored.getFileName().toString()).as("no folders from the name").isEqualTo("notes.txt");
        assertThat(stored.startsWith(temp.resolve("uploads"))).isTrue();
        assertThat(Files.readString(stored)).isEqualTo("заметки");

        // One byte over the limit is refused and nothing of it stays.
        long tooMany = AppFileHandler.MAX_UPLOAD_BYTES + 1;
        HttpResponse<String> tooLarge = http.send(request("/api/v1/upload?filename=big.bin").header("Cookie", cookie)
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.InputStream() {
                            private long left = tooMany;

                            @Override
                            public int read() {
                                return left-- > 0 ? 0 : -1;
                            }

                            @Override
                            public int read(byte[] buffer, int offset, int length) {
                                if (left <= 0) {
                                    return -1;
                                }
                                int n = (int) Math.min(length, left);
                                java.util.Arrays.fill(buffer, offset, offset + n, (byte) 0);
                                left -= n;
                                return n;
                            }
                        }))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(tooLarge.statusCode()).as("chunked, counted while read").isEqualTo(413);
        // A declared length over the limit is refused before any of the body is read.
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("POST /api/v1/upload?filename=big.bin HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nCookie: " + cookie + "\r\nContent-Length: " + tooMany + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertThat(status).contains(" 413 ");
        }
        try (Stream<Path> left = Files.walk(temp.resolve("uploads"))) {
            assertThat(left.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .containsExactly("notes.txt");
        }

        HttpResponse<String> file = http.send(request("/api/v1/attachments/a1?account=alice.1&type=text/html")
                .header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(file.statusCode()).isEqualTo(200);
        assertThat(file.body()).isEqualTo("received bytes");
        assertThat(file.headers().firstValue("Content-Type")).as("never served as a page").contains("application/octet-stream");
        assertThat(file.headers().firstValue("Content-Disposition").orElseThrow()).startsWith("attachment");
        for (String path : List.of("/api/v1/attachments/..%2Faccount.db?account=alice.1",
                "/api/v1/attachments/a1?account=bob.2", "/api/v1/attachments/a1")) {
            assertThat(http.send(request(path).header("Cookie", cookie).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).as(path).isEqualTo(404);
        }
        assertThat(http.send(request("/api/v1/attachments/a1?account=alice.1").GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).as("no session").isEqualTo(401);
    }

    private HttpResponse<String> trade(String body) throws IOException, InterruptedException {
        return http.send(request("/api/v1/session").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void start(DaemonConfig config) throws DaemonStartException {
        hub = new ReceiveHub(ReceiveMode.ON_START, () -> { });
        startWith(config, hub);
    }

    private void startWith(DaemonConfig config, ReceiveHub receiveHub) throws DaemonStartException {
        Daemon daemon = Daemon.start(config.withHttp(new ListenAddress("127.0.0.1", 0))
                .withLimits(new PeerLimits(BODY_LIMIT, 64, 1_000)).withClock(CLOCK),
                methods.table(receiveHub), receiveHub, UnixSocketIT.quiet());
        toClose.add(daemon);
        port = daemon.httpAddress().orElseThrow().getPort();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20));
    }

    private HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return http.send(request("/api/v1/rpc").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET /api/v1/check written by hand, since HttpClient will not send a Host header of our choosing. */
    private int rawStatus(String... headers) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/v1/check HTTP/1.1\r\n" + String.join("\r\n", headers) + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    private EventStream openEvents(String lastEventId) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/events"));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> response = http.send(request.GET().build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .startsWith("text/event-stream"));
        EventStream stream = new EventStream(response.body());
        toClose.add(stream);
        return stream;
    }

    /** The lines of one event stream, read on their own thread; every wait is bounded. */
    private static final class EventStream implements AutoCloseable {
        private final Stream<String> lines;
        private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        EventStream(Stream<String> lines) {
            this.lines = lines;
            Thread.ofVirtual().start(() -> {
                try {
                    lines.forEach(queue::add);
                } catch (RuntimeException e) {
                    // The stream closed.
                }
            });
        }

        String next() throws InterruptedException {
            String line = queue.poll(20, TimeUnit.SECONDS);
            assertThat(line).as("an event stream line within 20 s").isNotNull();
            return line;
        }

        /** The ids of the next {@code count} events, skipping heartbeats. */
        List<String> events(int count) throws InterruptedException {
            List<String> ids = new ArrayList<>();
            while (ids.size() < count) {
                String line = next();
                if (line.startsWith("id: ")) {
                    ids.add(line.substring(4));
                }
            }
            return ids;
        }

        @Override
        public void close() {
            lines.close();
        }
    }
}
