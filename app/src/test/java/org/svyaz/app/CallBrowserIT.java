// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Calls in the web app: two Chromiums with fake camera and microphone, each on its own
 * {@code svyaz app}, against a real server; the media is WebRTC between the browsers, the set-up
 * travels as end-to-end encrypted call messages.
 */
class CallBrowserIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Media must keep arriving for this many one-second samples. */
    private static final int SAMPLES = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private final BrowserTestRun run = new BrowserTestRun();
    private final List<Process> processes = run.processes;
    private final List<WebDriver> browsers = run.browsers;

    @AfterEach
    void stop(TestInfo test) throws Exception {
        run.end(test);
    }

    /** A person: their app, their browser, signed up on the server under a nickname. */
    private record Person(WebDriver browser, WebDriverWait waiting, String username) {}

    private Person signUp(ServerProcess server, String nickname) throws Exception {
        WebApp app = WebApp.start(temp.resolve("logs"), temp.resolve(nickname), "app-" + nickname);
        processes.add(app.process());
        WebDriver browser = Chromium.start(temp.resolve("chromium-" + nickname), "en");
        browsers.add(browser);
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        wait.ignoring(StaleElementReferenceException.class);
        return new Person(browser, wait, AppBrowserIT.signUp(browser, wait, app.link(), server.inviteLink(), nickname));
    }

    private static void openChat(Person person, String with) {
        // The chat list may still be loading (after Back from settings): wait for its field.
        person.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("new-chat"))).sendKeys(with, Keys.ENTER);
        person.waiting().until(ExpectedConditions.textToBe(By.tagName("h1"), with));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stats(Person person) {
        return (Map<String, Object>) ((JavascriptExecutor) person.browser())
                .executeAsyncScript("window.svyazCallStats().then(arguments[arguments.length - 1])");
    }

    private static long bytes(Map<String, Object> stats, String kind) {
        return ((Number) stats.get(kind)).longValue();
    }

    /** Waits until every one of {@code people} shows the call as going. */
    private static void inCall(Person... people) {
        for (Person person : people) {
            person.waiting().until(ExpectedConditions.textMatches(By.className("call-state"),
                    java.util.regex.Pattern.compile("In call · \\d+:\\d\\d")));
        }
    }

    /**
     * Samples each person's call once a second, {@value #SAMPLES} times: every sample must show more
     * bytes received of each kind than the one before. Returns the first person's last sample.
     */
    private static Map<String, Object> mediaKeepsArriving(List<Person> people, String... kinds) throws Exception {
        List<Map<String, Object>> last = new ArrayList<>(people.stream().map(CallBrowserIT::stats).toList());
        for (int i = 0; i < SAMPLES; i++) {
            Thread.sleep(1000);
            for (int p = 0; p < people.size(); p++) {
                Map<String, Object> now = stats(people.get(p));
                for (String kind : kinds) {
                    assertThat(bytes(now, kind)).as("%s's %s, sample %d", people.get(p).username(), kind, i)
                            .isGreaterThan(bytes(last.get(p), kind));
                }
                last.set(p, now);
            }
        }
        return last.getFirst();
    }

    /** The energy of the sound {@code person} received over the next {@code seconds} seconds. */
    private static double soundOver(Person person, int seconds) throws InterruptedException {
        // A moment first, so what was on its way before a change has arrived.
        Thread.sleep(500);
        double before = ((Number) stats(person).get("inboundAudioEnergy")).doubleValue();
        Thread.sleep(seconds * 1000L);
        return ((Number) stats(person).get("inboundAudioEnergy")).doubleValue() - before;
    }

    /** How bright the picture {@code person} receives is now: the mean of its pixels, 0 (black) to 255. */
    private static double brightness(Person person) {
        return ((Number) ((JavascriptExecutor) person.browser()).executeScript("""
                const video = document.querySelector('.remote-video');
                if (!video || !video.videoWidth) return -1;
                const canvas = document.createElement('canvas');
                canvas.width = 64;
                canvas.height = 48;
                const context = canvas.getContext('2d');
                context.drawImage(video, 0, 0, 64, 48);
                const pixels = context.getImageData(0, 0, 64, 48).data;
                let sum = 0;
                for (let i = 0; i < pixels.length; i += 4) sum += (pixels[i] + pixels[i + 1] + pixels[i + 2]) / 3;
                return sum / (pixels.length / 4);""")).doubleValue();
    }

    private static String callState(Person person) {
        return person.browser().findElement(By.className("call-state")).getText();
    }

    @Test
    void aVideoCallCarriesMediaBothWaysUntilOneSideHangsUp() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Person alice = signUp(server, "alice");
            Person bob = signUp(server, "bob");
            openChat(alice, bob.username());
            alice.browser().findElement(By.className("video-call")).click();
            alice.waiting().until(ExpectedConditions.textToBe(By.className("call-state"), "Calling…"));

            bob.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.className("call-accept")));
            assertThat(callState(bob)).isEqualTo("Incoming video call");
            assertThat(bob.browser().findElement(By.cssSelector(".call-screen h2")).getText())
                    .isEqualTo(alice.username());
            bob.browser().findElement(By.className("call-accept")).click();

            inCall(alice, bob);
            Map<String, Object> lastAlice = mediaKeepsArriving(List.of(alice, bob), "inboundAudioBytes", "inboundVideoBytes");
            @SuppressWarnings("unchecked")
            Map<String, Object> route = (Map<String, Object>) lastAlice.get("route");
            assertThat(route).as("the selected candidate pair").containsEntry("local", "host")
                    .containsEntry("remote", "host");
            assertThat(alice.browser().findElement(By.className("call-route")).getText()).startsWith("Direct connection");
            Chromium.screenshot(alice.browser(), "call-video");

            // Bob's controls, as alice hears and sees them.
            double heard = soundOver(alice, 3);
            assertThat(heard).as("what alice hears of bob").isPositive();
            bob.browser().findElement(By.className("call-mute")).click();
            assertThat(soundOver(alice, 3)).as("alice hears nothing while bob is muted").isLessThan(heard / 100);
            bob.browser().findElement(By.className("call-mute")).click();
            assertThat(soundOver(alice, 3)).as("and bob again once he is not").isGreaterThan(heard / 10);
            bob.browser().findElement(By.className("call-camera")).click();
            alice.waiting().until(browser -> {
                double shown = brightness(alice);
                return shown >= 0 && shown < 5;
            });
            bob.browser().findElement(By.className("call-camera")).click();
            alice.waiting().until(browser -> brightness(alice) > 30);

            // Someone else rings bob meanwhile: busy, and the call goes on.
            BotDaemon carol = BotDaemon.start(temp, server.inviteLink(), "carol.63");
            processes.add(carol.process());
            try (RpcClient carolsDevice = RpcClient.unix(carol.socket())) {
                ObjectNode offer = JSON.createObjectNode().put("recipient", bob.username());
                offer.putObject("offerMessage").put("id", 4242).put("sdp", "v=0").put("type", "AUDIO_CALL");
                assertThat(carolsDevice.call("sendCallMessage", offer).has("result")).isTrue();
                JsonNode busy = nextCallMessage(carolsDevice);
                assertThat(busy.get("busyMessage").get("id").asLong()).isEqualTo(4242);
            }
            assertThat(callState(bob)).startsWith("In call");

            // Voice only from now on: no more video reaches alice, the sound goes on.
            bob.browser().findElement(By.className("call-voice")).click();
            Thread.sleep(2000);
            long videoBefore = bytes(stats(alice), "inboundVideoBytes");
            assertThat(soundOver(alice, 3)).isPositive();
            assertThat(bytes(stats(alice), "inboundVideoBytes")).as("video after switching to voice").isEqualTo(videoBefore);
            assertThat(bob.browser().findElements(By.className("call-camera"))).isEmpty();

            bob.browser().findElement(By.className("call-hangup")).click();
            // Read at once: the ended call's screen goes away after a moment.
            assertThat(callState(bob)).isEqualTo("Call ended");
            alice.waiting().until(ExpectedConditions.textToBe(By.className("call-state"), "The other side hung up"));

            // Bob's call log: the call he took, and carol's, which rang while he was busy, as missed.
            bob.waiting().until(ExpectedConditions.invisibilityOfElementLocated(By.id("call")));
            bob.browser().findElement(By.className("open-calls")).click();
            bob.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.className("call-log")));
            List<org.openqa.selenium.WebElement> entries = bob.browser().findElements(By.className("call-entry"));
            assertThat(entries).hasSize(2);
            assertThat(entries.get(0).getText()).contains("carol.63", "Incoming voice call", "Missed");
            assertThat(entries.get(0).getAttribute("class")).contains("missed");
            assertThat(entries.get(1).getText()).contains(alice.username(), "Incoming video call").containsPattern("\\d+:\\d\\d\\n");
            Chromium.screenshot(bob.browser(), "call-log");
        }
    }

    @Test
    void withAlwaysRelayCallsTheMediaGoesThroughCoturn() throws Exception {
        Path serverData = temp.resolve("server");
        int turnPort = ServerProcess.freePort();
        Cli.Result turn = Cli.run("server", "turn", "--data", serverData.toString(), "--listen", "127.0.0.1:" + turnPort,
                "--allow-private-peers");
        assertThat(turn.exitCode()).as(turn.err()).isZero();
        assertThat(turn.out()).contains("turn:127.0.0.1:" + turnPort + "?transport=udp");
        try (ServerProcess server = new ServerProcess(serverData, temp.resolve("logs")).start();
             Coturn coturn = Coturn.start(serverData, turnPort, temp.resolve("logs").resolve("coturn"))) {
            Person alice = signUp(server, "alice");
            Person bob = signUp(server, "bob");
            alice.browser().findElement(By.className("open-settings")).click();
            alice.waiting().until(ExpectedConditions.elementToBeClickable(By.id("always-relay-calls"))).click();
            alice.waiting().until(ExpectedConditions.textToBe(By.className("saved"), "Saved."));
            alice.browser().findElement(By.className("back")).click();
            openChat(alice, bob.username());
            alice.browser().findElement(By.className("voice-call")).click();
            bob.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.className("call-accept")));
            assertThat(callState(bob)).isEqualTo("Incoming voice call");
            bob.browser().findElement(By.className("call-accept")).click();
            inCall(alice, bob);
            mediaKeepsArriving(List.of(bob), "inboundAudioBytes");
            assertThat(bytes(stats(alice), "inboundAudioBytes")).isPositive();
            @SuppressWarnings("unchecked")
            Map<String, Object> route = (Map<String, Object>) stats(alice).get("route");
            assertThat(route).as("alice's side of the selected pair is a TURN allocation").containsEntry("local", "relay");
            assertThat(alice.browser().findElement(By.className("call-route")).getText())
                    .startsWith("Through a relay server");
            alice.browser().findElement(By.className("call-hangup")).click();
            bob.waiting().until(ExpectedConditions.textToBe(By.className("call-state"), "The other side hung up"));
        }
    }

    /** Sets up coturn for the server in {@code serverData} on a free loopback port and starts it. */
    private Coturn startCoturn(Path serverData) throws Exception {
        int turnPort = ServerProcess.freePort();
        Cli.Result turn = Cli.run("server", "turn", "--data", serverData.toString(), "--listen", "127.0.0.1:" + turnPort,
                "--allow-private-peers");
        assertThat(turn.exitCode()).as(turn.err()).isZero();
        return Coturn.start(serverData, turnPort, temp.resolve("logs").resolve("coturn"));
    }

    @Test
    void ringingTellsTheCalleeNoAddressOfTheCallerUntilTheCallIsAccepted() throws Exception {
        Path serverData = temp.resolve("server");
        try (Coturn coturn = startCoturn(serverData);
             ServerProcess server = new ServerProcess(serverData, temp.resolve("logs")).start()) {
            BotDaemon bob = BotDaemon.start(temp, server.inviteLink(), "bob.61");
            processes.add(bob.process());
            Person alice = signUp(server, "alice");
            try (RpcClient bot = RpcClient.unix(bob.socket())) {
                openChat(alice, "bob.61");
                alice.browser().findElement(By.className("video-call")).click();
                // Everything the callee's device gets while it rings: the offer, then candidates.
                List<JsonNode> callMessages = new ArrayList<>();
                long deadline = System.nanoTime() + WAIT.toNanos();
                long quietUntil = Long.MAX_VALUE;
                while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                    JsonNode notification = bot.nextNotification(Duration.ofMillis(200));
                    JsonNode call = notification == null ? null
                            : notification.get("params").get("envelope").get("callMessage");
                    if (call != null) {
                        callMessages.add(call);
                        if (call.has("iceUpdateMessages") && quietUntil == Long.MAX_VALUE) {
                            // Relayed candidates came; give any direct ones ample time to follow.
                            quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                        }
                    }
                }
                assertThat(callMessages).as("an offer, then relayed candidates").hasSizeGreaterThan(1);
                JsonNode offer = callMessages.getFirst().get("offerMessage");
                assertThat(offer.get("type").asText()).isEqualTo("VIDEO_CALL");
                assertThat(offer.get("sdp").asText()).doesNotContain("a=candidate").contains("a=fingerprint:sha-256 ");
                List<String> candidates = callMessages.stream().filter(m -> m.has("iceUpdateMessages"))
                        .flatMap(m -> java.util.stream.StreamSupport.stream(m.get("iceUpdateMessages").spliterator(), false))
                        .map(c -> c.get("sdp").asText()).toList();
                assertThat(candidates).isNotEmpty().allSatisfy(candidate -> {
                    assertThat(candidate).contains(" typ relay");
                    assertThat(candidate).as("where the TURN server saw the caller").contains(" raddr 0.0.0.0 rport 0");
                });

                ObjectNode decline = JSON.createObjectNode().put("recipient", alice.username());
                decline.putObject("hangupMessage").put("id", offer.get("id").asLong()).put("type", "DECLINED");
                assertThat(bot.call("sendCallMessage", decline).has("result")).isTrue();
                alice.waiting().until(ExpectedConditions.textToBe(By.className("call-state"), "Call declined"));
            }
        }
    }

    /** The next notification's callMessage, within {@link #WAIT}. */
    private static JsonNode nextCallMessage(RpcClient device) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode notification = device.nextNotification(Duration.ofSeconds(1));
            if (notification != null && notification.get("params").get("envelope").has("callMessage")) {
                return notification.get("params").get("envelope").get("callMessage");
            }
        }
        throw new AssertionError("no call message in " + WAIT);
    }

    @Test
    void aFingerprintChangedOnTheWayMakesTheCallFail() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Person alice = signUp(server, "alice");
            Person bob = signUp(server, "bob");
            openChat(alice, bob.username());
            // What a server in the middle would do if it could read and rewrite the offer: put in the
            // fingerprint of its own DTLS certificate. Here one byte of alice's is changed before it is sent.
            ((JavascriptExecutor) alice.browser()).executeScript("""
                    const original = window.fetch;
                    window.fetch = (url, init) => {
                      if (init && typeof init.body === 'string' && init.body.includes('"offerMessage"')) {
                        const request = JSON.parse(init.body);
                        request.params.offerMessage.sdp = request.params.offerMessage.sdp.replace(
                          /(a=fingerprint:sha-256 )([0-9A-F]{2})/, (all, head, first) => head + (first === '00' ? '01' : '00'));
                        init = {...init, body: JSON.stringify(request)};
                      }
                      return original(url, init);
                    };""");
            alice.browser().findElement(By.className("voice-call")).click();
            bob.waiting().until(ExpectedConditions.elementToBeClickable(By.className("call-accept"))).click();
            for (Person person : List.of(alice, bob)) {
                person.waiting().until(ExpectedConditions.textToBe(By.className("call-state"),
                        "The call could not connect"));
            }
        }
    }

    @Test
    void aCallFromAChangedSafetyNumberAsksFirst() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            BotDaemon bob = BotDaemon.start(temp, server.inviteLink(), "bob.64");
            processes.add(bob.process());
            Person alice = signUp(server, "alice");
            try (RpcClient bobsDevice = RpcClient.unix(bob.socket())) {
                bobsDevice.result("send", RpcClient.params().put("recipient", alice.username()).put("message", "hi"));
                openChat(alice, "bob.64");
                alice.waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.className("messages"), "hi"));
                bobsDevice.result("resetIdentity", RpcClient.params().put("yes", true));
                ObjectNode offer = RpcClient.params().put("recipient", alice.username());
                offer.putObject("offerMessage").put("id", 77).put("sdp", "v=0").put("type", "VIDEO_CALL");
                bobsDevice.result("sendCallMessage", offer);

                alice.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.className("call-warning")));
                assertThat(alice.browser().findElement(By.className("call-warning")).getText())
                        .contains("safety number with bob.64 changed");
                assertThat(alice.browser().findElement(By.className("call-accept")).getText()).isEqualTo("Accept anyway");
                alice.browser().findElement(By.className("call-decline")).click();
                // Declined here; nothing is sent to a safety number alice has not accepted.
                assertThat(callState(alice)).isEqualTo("Call declined");
                long quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (System.nanoTime() < quietUntil) {
                    JsonNode notification = bobsDevice.nextNotification(Duration.ofMillis(200));
                    assertThat(notification == null ? null : notification.get("params").get("envelope").get("callMessage"))
                            .as("a call message to bob").isNull();
                }
            }
        }
    }

    /** Turns on "Always relay calls" in the person's settings and comes back to the chat list. */
    private static void alwaysRelayCalls(Person person) {
        person.waiting().until(ExpectedConditions.elementToBeClickable(By.className("open-settings"))).click();
        person.waiting().until(ExpectedConditions.elementToBeClickable(By.id("always-relay-calls"))).click();
        person.waiting().until(ExpectedConditions.textToBe(By.className("saved"), "Saved."));
        person.browser().findElement(By.className("back")).click();
    }

    @Test
    void whereOnlyTlsReachesTheTurnServerTheCallGoesThroughAPinnedTlsBridge() throws Exception {
        Path serverData = temp.resolve("server");
        int turnPort = ServerProcess.freePort();
        int tlsPort = ServerProcess.freePort();
        Cli.Result turn = Cli.run("server", "turn", "--data", serverData.toString(), "--listen", "127.0.0.1:" + turnPort,
                "--tls-port", Integer.toString(tlsPort), "--allow-private-peers");
        assertThat(turn.exitCode()).as(turn.err()).isZero();
        // Only the TLS port is handed out, as where a censor lets nothing but TLS through.
        Cli.Result onlyTls = Cli.run("server", "descriptor", "--data", serverData.toString(),
                "--remove-turn", "turn:127.0.0.1:" + turnPort + "?transport=udp",
                "--remove-turn", "turn:127.0.0.1:" + turnPort + "?transport=tcp");
        assertThat(onlyTls.out().lines().toList()).containsExactly("turn turns:127.0.0.1:" + tlsPort + "?transport=tcp");
        try (ServerProcess server = new ServerProcess(serverData, temp.resolve("logs")).start();
             Coturn coturn = Coturn.start(serverData, turnPort, temp.resolve("logs").resolve("coturn"))) {
            Person alice = signUp(server, "alice");
            Person bob = signUp(server, "bob");
            alwaysRelayCalls(alice);
            alwaysRelayCalls(bob);
            @SuppressWarnings("unchecked")
            Map<String, Object> servers = (Map<String, Object>) ((JavascriptExecutor) alice.browser()).executeAsyncScript("""
                    const done = arguments[arguments.length - 1];
                    fetch('/api/v1/rpc', {method: 'POST', headers: {'Content-Type': 'application/json'},
                      body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'getTurnServers', params: {account: arguments[0]}})})
                      .then(r => r.json()).then(reply => done(reply.result));""", alice.username());
            assertThat(servers.toString()).as("the browser is given the loopback bridge, not the TLS port")
                    .containsPattern("turn:127\\.0\\.0\\.1:\\d+\\?transport=tcp").doesNotContain("turns:");
            openChat(alice, bob.username());
            alice.browser().findElement(By.className("voice-call")).click();
            bob.waiting().until(ExpectedConditions.elementToBeClickable(By.className("call-accept"))).click();
            inCall(alice, bob);
            Map<String, Object> last = mediaKeepsArriving(List.of(alice), "inboundAudioBytes");
            @SuppressWarnings("unchecked")
            Map<String, Object> route = (Map<String, Object>) last.get("route");
            assertThat(route).containsEntry("local", "relay").containsEntry("relayProtocol", "tcp");
            assertThat(java.nio.file.Files.readString(temp.resolve("logs").resolve("coturn").resolve("coturn.log")))
                    .as("coturn's allocations came over TLS").containsPattern("session \\d+: new, .*method=TLS");
        }
    }

    /** Calls a JSON-RPC method of the person's own app from the page, as the app itself does. */
    @SuppressWarnings("unchecked")
    private static Object rpc(Person person, String method) {
        return ((JavascriptExecutor) person.browser()).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                fetch('/api/v1/rpc', {method: 'POST', headers: {'Content-Type': 'application/json'},
                  body: JSON.stringify({jsonrpc: '2.0', id: 1, method: arguments[0], params: {account: arguments[1]}})})
                  .then(r => r.json()).then(reply => done(reply.result ?? reply.error));""", method, person.username());
    }

    @Test
    void whereTheTurnServersAddressIsBlockedTheCallGoesThroughARelay() throws Exception {
        Path serverData = temp.resolve("server");
        int turnPort = ServerProcess.freePort();
        int tlsPort = ServerProcess.freePort();
        int blockedPort = ServerProcess.freePort();
        Cli.Result turn = Cli.run("server", "turn", "--data", serverData.toString(), "--listen", "127.0.0.1:" + turnPort,
                "--tls-port", Integer.toString(tlsPort), "--allow-private-peers");
        assertThat(turn.exitCode()).as(turn.err()).isZero();
        // Users are told an address of the TURN server that nothing answers at, as if a censor blocked it.
        Cli.Result blocked = Cli.run("server", "descriptor", "--data", serverData.toString(),
                "--remove-turn", "turn:127.0.0.1:" + turnPort + "?transport=udp",
                "--remove-turn", "turn:127.0.0.1:" + turnPort + "?transport=tcp",
                "--remove-turn", "turns:127.0.0.1:" + tlsPort + "?transport=tcp",
                "--add-turn", "turns:127.0.0.1:" + blockedPort + "?transport=tcp");
        assertThat(blocked.exitCode()).as(blocked.err()).isZero();
        int relayPort = ServerProcess.freePort();
        try (ServerProcess server = new ServerProcess(serverData, temp.resolve("logs")).start();
             Coturn coturn = Coturn.start(serverData, turnPort, temp.resolve("logs").resolve("coturn"))) {
            Process relay = Cli.start(temp.resolve("logs"), "relay", "relay", "--listen", "127.0.0.1:" + relayPort,
                    "--upstream", server.inviteLink(), "--data", temp.resolve("relay").toString(),
                    "--sni", "news.example.org", "--no-qr", "--turn-upstream", "127.0.0.1:" + tlsPort);
            processes.add(relay);
            Path relayOut = temp.resolve("logs").resolve("relay.out");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> java.nio.file.Files.exists(relayOut)
                    && java.nio.file.Files.readString(relayOut).startsWith("svyaz://relay/"));
            Cli.Result added = Cli.run("server", "descriptor", "--data", serverData.toString(), "--add-relay",
                    java.nio.file.Files.readString(relayOut).strip());
            assertThat(added.exitCode()).as(added.err()).isZero();
            // A restart hands the relay out at once (a running server picks it up within a minute).
            server.terminate();
            server.start();

            Person alice = signUp(server, "alice");
            Person bob = signUp(server, "bob");
            alwaysRelayCalls(alice);
            alice.waiting().until(browser -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> status = (Map<String, Object>) rpc(alice, "status");
                return ((Number) status.getOrDefault("relays", 0)).intValue() > 0;
            });
            openChat(alice, bob.username());
            alice.browser().findElement(By.className("voice-call")).click();
            bob.waiting().until(ExpectedConditions.elementToBeClickable(By.className("call-accept"))).click();
            inCall(alice, bob);
            mediaKeepsArriving(List.of(bob), "inboundAudioBytes");
            @SuppressWarnings("unchecked")
            Map<String, Object> route = (Map<String, Object>) stats(alice).get("route");
            assertThat(route).containsEntry("local", "relay").containsEntry("relayProtocol", "tcp");
            assertThat(java.nio.file.Files.readString(temp.resolve("logs").resolve("coturn").resolve("coturn.log")))
                    .as("coturn's allocations came over TLS, through the relay").containsPattern("session \\d+: new, .*method=TLS");
        }
    }
}
