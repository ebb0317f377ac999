// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.app.rpc.Daemon;
import picocli.CommandLine;

/** Two daemons, one per user, driven only over their UNIX sockets, as bots drive signal-cli. */
class DaemonIT {
    @TempDir
    Path temp;

    private final List<Process> daemons = new ArrayList<>();

    @AfterEach
    void stopDaemons() throws Exception {
        for (Process daemon : daemons) {
            daemon.destroy();
            daemon.waitFor();
        }
    }

    /** Registers {@code username} through the CLI and starts a daemon for it on a socket in the temp folder. */
    private Path daemonFor(String link, String username) throws Exception {
        register(temp.resolve(username), link, username);
        return startDaemon(username);
    }

    private static void register(Path dataDir, String link, String username) throws Exception {
        Cli.Result registered = Cli.run("-d", dataDir.toString(), "register", "--server", link, "--username", username);
        assertThat(registered.exitCode()).as(registered.err()).isZero();
    }

    /** Starts a daemon for the account registered under temp/USERNAME and waits until it answers. */
    private Path startDaemon(String username) throws Exception {
        Path socket = temp.resolve("sockets").resolve(username + ".sock");
        Process daemon = Cli.start(temp.resolve("logs"), "daemon-" + username + "-" + daemons.size(),
                "-d", temp.resolve(username).toString(), "-a", username, "daemon", "--socket", socket.toString());
        daemons.add(daemon);
        awaitAnswer(daemon, socket);
        return socket;
    }

    private static void awaitAnswer(Process daemon, Path socket) {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("the daemon exited with " + daemon.exitValue());
            }
            try (RpcClient probe = RpcClient.unix(socket)) {
                return probe.call("version", null).has("result");
            }
        });
    }

    /** Where the multi-account daemon number {@code daemon} writes its standard error (it says where it listens). */
    private Path logOf(int daemon) {
        return temp.resolve("logs").resolve("daemon-multi-" + daemon + ".err");
    }

    private static JsonNode nextText(RpcClient bot) throws InterruptedException {
        return bot.nextText(Duration.ofSeconds(30));
    }

    private static JsonNode nextText(RpcClient bot, Duration timeout) throws InterruptedException {
        return bot.nextText(timeout);
    }

    /**
     * Each text the bot hears until {@code count} different ones came (at most a minute), with how
     * often it came; anything shown twice would come right after the rest, so three more seconds count.
     */
    private static Map<String, Integer> textsOnce(RpcClient bot, int count) throws InterruptedException {
        Map<String, Integer> seen = new TreeMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (seen.size() < count && System.nanoTime() < deadline) {
            JsonNode text = nextText(bot);
            if (text != null) {
                seen.merge(text.get("params").get("envelope").get("dataMessage").get("message").asText(), 1,
                        Integer::sum);
            }
        }
        JsonNode extra = nextText(bot, Duration.ofSeconds(3));
        if (extra != null) {
            seen.merge(extra.get("params").get("envelope").get("dataMessage").get("message").asText(), 1, Integer::sum);
        }
        return seen;
    }

    @Test
    void aBotSendsThroughOneDaemonAndTheOtherDaemonNotifiesItsBot() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String link = server.inviteLink();
            Path aliceSocket = daemonFor(link, "alice.11");
            Path bobSocket = daemonFor(link, "bob.22");
            try (RpcClient alice = RpcClient.unix(aliceSocket); RpcClient bob = RpcClient.unix(bobSocket)) {
                JsonNode sent = alice.result("send", RpcClient.params().put("message", "hello, bot")
                        .set("recipient", RpcClient.JSON.createArrayNode().add("bob.22")));
                long timestamp = sent.get("timestamp").asLong();
                assertThat(timestamp).isPositive();
                JsonNode result = sent.get("results").get(0);
                assertThat(result.get("type").asText()).isEqualTo("SUCCESS");
                assertThat(result.get("recipientAddress").get("username").asText()).isEqualTo("bob.22");

                JsonNode notification = nextText(bob);
                assertThat(notification).as("bob's bot heard nothing").isNotNull();
                assertThat(notification.get("method").asText()).isEqualTo("receive");
                JsonNode envelope = notification.get("params").get("envelope");
                assertThat(notification.get("params").get("account").asText()).isEqualTo("bob.22");
                assertThat(envelope.get("source").asText()).isEqualTo("alice.11");
                assertThat(envelope.get("timestamp").asLong()).isEqualTo(timestamp);
                assertThat(envelope.get("dataMessage").get("message").asText()).isEqualTo("hello, bot");

                // The sender is reachable at once: the reply comes back through the same daemons.
                bob.result("send", RpcClient.params().put("message", "hello, alice").put("recipient", "alice.11"));
                JsonNode reply = nextText(alice);
                assertThat(reply).isNotNull();
                assertThat(reply.get("params").get("envelope").get("dataMessage").get("message").asText())
                        .isEqualTo("hello, alice");

                // While bob's daemon runs, bob's commands go through it: no second connection knocks it
                // offline, and receiving is the daemon's job.
                String bobDir = temp.resolve("bob.22").toString();
                Cli.Result viaDaemon = Cli.run("-d", bobDir, "-o", "json", "send", "-m", "from bob's shell", "alice.11");
                assertThat(viaDaemon.exitCode()).as(viaDaemon.err()).isZero();
                assertThat(RpcClient.JSON.readTree(viaDaemon.out()).get("results").get(0).get("type").asText())
                        .isEqualTo("SUCCESS");
                assertThat(nextText(alice).get("params").get("envelope").get("dataMessage").get("message").asText())
                        .isEqualTo("from bob's shell");
                Cli.Result receive = Cli.run("-d", bobDir, "receive", "-t", "1");
                assertThat(receive.exitCode()).isEqualTo(1);
                assertThat(receive.err()).contains("daemon");
                alice.result("send", RpcClient.params().put("message", "still there?").put("recipient", "bob.22"));
                assertThat(nextText(bob).get("params").get("envelope").get("dataMessage").get("message").asText())
                        .isEqualTo("still there?");
                Cli.Result groups = Cli.run("-d", bobDir, "-o", "json", "listGroups");
                assertThat(groups.out().strip()).isEqualTo("[]");

                // Bad calls get typed errors and the connection keeps working.
                assertThat(bob.call("nosuch", null).get("error").get("code").asInt()).isEqualTo(-32601);
                JsonNode missing = bob.call("send", RpcClient.params().put("recipient", "alice.11"));
                assertThat(missing.get("error").get("code").asInt()).isEqualTo(-32602);
                assertThat(missing.get("error").get("message").asText()).contains("message");
                bob.sendLine("{not json");
                JsonNode unknown = bob.call("send", RpcClient.params().put("message", "hi")
                        .set("recipient", RpcClient.JSON.createArrayNode().add("nobody.99").add("alice.11")));
                assertThat(unknown.get("error").get("code").asInt()).isEqualTo(-1);
                JsonNode report = unknown.get("error").get("data").get("response").get("results");
                assertThat(report).hasSize(2);
                assertThat(report.get(0).get("type").asText()).isEqualTo("UNREGISTERED_FAILURE");
                assertThat(report.get(1).get("type").asText()).as("every recipient is tried").isEqualTo("SUCCESS");
                assertThat(bob.result("version", null).get("version").asText()).startsWith("svyaz");
            }

            // Commands use a socket of their own that takes no notifications: with only a command
            // attached, what arrives waits for a bot instead of going to the command and being lost.
            try (RpcClient command = RpcClient.unix(Daemon.commandSocket(bobSocket));
                 RpcClient alice = RpcClient.unix(aliceSocket)) {
                assertThat(command.result("listGroups", null)).isEmpty();
                alice.result("send", RpcClient.params().put("message", "while no bot listens").put("recipient", "bob.22"));
                assertThat(nextText(command, Duration.ofSeconds(5))).isNull();
                try (RpcClient bob = RpcClient.unix(bobSocket)) {
                    assertThat(nextText(bob).get("params").get("envelope").get("dataMessage").get("message").asText())
                            .isEqualTo("while no bot listens");

                    // A file: its id in the envelope fetches it through getAttachment.
                    Path file = Files.write(temp.resolve("notes.txt"), "заметки".getBytes(StandardCharsets.UTF_8));
                    alice.result("send", RpcClient.params().put("message", "with a file").put("recipient", "bob.22")
                            .put("attachment", file.toString()));
                    JsonNode attachment = nextText(bob).get("params").get("envelope").get("dataMessage")
                            .get("attachments").get(0);
                    JsonNode fetched = bob.result("getAttachment", RpcClient.params().put("id", attachment.get("id").asText()));
                    assertThat(Base64.getDecoder().decode(fetched.get("data").asText()))
                            .isEqualTo(Files.readAllBytes(file));
                    JsonNode outside = bob.call("getAttachment", RpcClient.params().put("id", "../account.db"));
                    assertThat(outside.get("error").get("code").asInt()).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    void aBotThatHangsUpMidCallLosesNothing() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String link = server.inviteLink();
            Path aliceSocket = daemonFor(link, "alice.77");
            Path bobSocket = daemonFor(link, "bob.78");
            int count = 20;
            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                // Twenty sends written at once, and the connection closed before any answer is read:
                // the calls still run to the end, so every message arrives, once.
                RpcClient hangsUp = RpcClient.unix(aliceSocket);
                for (int i = 0; i < count; i++) {
                    hangsUp.sendLine(RpcClient.JSON.createObjectNode().put("jsonrpc", "2.0").put("id", i)
                            .put("method", "send").set("params", RpcClient.params().put("message", "call " + i)
                                    .put("recipient", "bob.78")).toString());
                }
                hangsUp.close();
                Map<String, Integer> seen = textsOnce(bob, count);
                assertThat(seen).hasSize(count);
                assertThat(seen.values()).as("shown once each: %s", seen).containsOnly(1);

                // The daemon goes on serving: a new connection sends and bob's bot hears it.
                try (RpcClient alice = RpcClient.unix(aliceSocket)) {
                    alice.result("send", RpcClient.params().put("message", "after the hang-up").put("recipient", "bob.78"));
                }
                assertThat(nextText(bob).get("params").get("envelope").get("dataMessage").get("message").asText())
                        .isEqualTo("after the hang-up");
            }
        }
    }

    @Test
    void aDaemonKilledWhileMessagesArriveLosesNoneAndShowsNoneTwice() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String link = server.inviteLink();
            Path aliceSocket = daemonFor(link, "alice.44");
            Path bobSocket = daemonFor(link, "bob.45");
            Process bobsFirstDaemon = daemons.getLast();
            int count = 40;
            try (RpcClient alice = RpcClient.unix(aliceSocket)) {
                // No bot listens to bob's daemon yet: what arrives is stored and acknowledged, and waits.
                for (int i = 0; i < count; i++) {
                    alice.result("send", RpcClient.params().put("message", "m" + i).put("recipient", "bob.45"));
                    if (i == count / 2) {
                        bobsFirstDaemon.destroyForcibly(); // SIGKILL, with pushes still coming in
                        bobsFirstDaemon.waitFor();
                    }
                }
            }
            startDaemon("bob.45");
            Map<String, Integer> seen;
            try (RpcClient bob = RpcClient.unix(bobSocket)) {
                seen = textsOnce(bob, count);
            }
            assertThat(seen).hasSize(count);
            assertThat(seen.values()).as("shown once each: %s", seen).containsOnly(1);
        }
    }

    @Test
    void oneDaemonServesEveryAccountOverTcpAndHttpAndJsonRpcOverStdio() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Path shared = temp.resolve("shared");
            register(shared, server.inviteLink(), "alice.55");
            register(shared, server.inviteLink(), "bob.66");
            Process daemon = Cli.start(temp.resolve("logs"), "daemon-multi-0", "-d", shared.toString(), "daemon",
                    "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0");
            daemons.add(daemon);
            Pattern tcpLine = Pattern.compile("Listening on TCP 127\\.0\\.0\\.1:(\\d+)");
            Pattern httpLine = Pattern.compile("Listening on HTTP http://127\\.0\\.0\\.1:(\\d+)");
            int[] ports = new int[2];
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                String log = Files.exists(logOf(0)) ? Files.readString(logOf(0)) : "";
                var tcp = tcpLine.matcher(log);
                var http = httpLine.matcher(log);
                if (tcp.find() && http.find()) {
                    ports[0] = Integer.parseInt(tcp.group(1));
                    ports[1] = Integer.parseInt(http.group(1));
                    return true;
                }
                return false;
            });
            String base = "http://127.0.0.1:" + ports[1];
            HttpClient http = HttpClient.newHttpClient();
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            var stream = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/v1/events"))
                    .build(), HttpResponse.BodyHandlers.ofLines());
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    stream.get().body().filter(line -> line.startsWith("data:")).forEach(events::add);
                } catch (Exception e) {
                    // The stream ends with the test.
                }
            });
            try (RpcClient tcp = RpcClient.tcp(new InetSocketAddress("127.0.0.1", ports[0]))) {
                assertThat(tcp.result("listAccounts", null).findValuesAsText("username"))
                        .containsExactly("alice.55", "bob.66");
                JsonNode noAccount = tcp.call("send", RpcClient.params().put("message", "hi").put("recipient", "bob.66"));
                assertThat(noAccount.get("error").get("code").asInt()).isEqualTo(-32602);
                assertThat(noAccount.get("error").get("message").asText()).contains("account");
                tcp.result("send", RpcClient.params().put("account", "alice.55").put("message", "over tcp")
                        .put("recipient", "bob.66"));
                JsonNode heard = nextText(tcp);
                assertThat(heard.get("params").get("account").asText()).isEqualTo("bob.66");

                // With no UNIX socket of its own the daemon still takes the accounts' commands (on a
                // command socket in the data directory), so the CLI does not knock it offline.
                Cli.Result viaDaemon = Cli.run("-d", shared.toString(), "-a", "alice.55", "-o", "json", "send",
                        "-m", "from alice's shell", "bob.66");
                assertThat(viaDaemon.exitCode()).as(viaDaemon.err()).isZero();
                assertThat(nextText(tcp).get("params").get("envelope").get("dataMessage").get("message").asText())
                        .isEqualTo("from alice's shell");
                Cli.Result receive = Cli.run("-d", shared.toString(), "-a", "alice.55", "receive", "-t", "1");
                assertThat(receive.exitCode()).isEqualTo(1);
                assertThat(receive.err()).contains("daemon");
            }
            String event = null;
            for (long end = System.nanoTime() + Duration.ofSeconds(30).toNanos(); System.nanoTime() < end; ) {
                String line = events.poll(1, TimeUnit.SECONDS);
                if (line != null && line.contains("over tcp")) {
                    event = line;
                    break;
                }
            }
            assertThat(event).as("the HTTP event stream carries the message too").isNotNull().contains("bob.66");

            String call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"send\",\"params\":{\"account\":\"bob.66\","
                    + "\"recipient\":\"alice.55\",\"message\":\"over http\"}}";
            var posted = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/rpc"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(call)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).isEqualTo(200);
            assertThat(RpcClient.JSON.readTree(posted.body()).get("result").get("results").get(0).get("type").asText())
                    .isEqualTo("SUCCESS");
            var fromPage = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/rpc"))
                    .header("Origin", "http://evil.example")
                    .POST(HttpRequest.BodyPublishers.ofString(call)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(fromPage.statusCode()).as("no web page may drive the daemon").isEqualTo(403);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/check")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            stream.cancel(true);
            reader.interrupt();

            // The daemon owns the accounts; once it stops, jsonRpc can serve one of them on stdin/stdout.
            daemon.destroy();
            daemon.waitFor();
            ProcessBuilder builder = new ProcessBuilder(Cli.command("-d", shared.toString(), "-a", "alice.55", "jsonRpc"))
                    .redirectError(temp.resolve("logs").resolve("jsonrpc.err").toFile());
            Process jsonRpc = builder.start();
            try (var in = new BufferedReader(new InputStreamReader(jsonRpc.getInputStream(),
                    StandardCharsets.UTF_8))) {
                jsonRpc.getOutputStream().write(("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"listGroups\"}\n")
                        .getBytes(StandardCharsets.UTF_8));
                jsonRpc.getOutputStream().close();
                String reply = null;
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    JsonNode message = RpcClient.JSON.readTree(line);
                    if (message.path("id").asInt() == 7) {
                        reply = line;
                    }
                }
                assertThat(reply).isEqualTo("{\"jsonrpc\":\"2.0\",\"result\":[],\"id\":7}");
            }
            assertThat(jsonRpc.waitFor(60, TimeUnit.SECONDS)).as("jsonRpc ends at end of input")
                    .isTrue();
            assertThat(jsonRpc.exitValue()).isZero();
        }
    }

    @Test
    void accountsRegisteredThroughAnEmptyDaemonAreServedAtOnce() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Path empty = temp.resolve("empty");
            Path socket = temp.resolve("sockets").resolve("multi.sock");
            daemons.add(Cli.start(temp.resolve("logs"), "daemon-empty", "-d", empty.toString(), "daemon",
                    "--socket", socket.toString()));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                try (RpcClient probe = RpcClient.unix(socket)) {
                    return probe.call("version", null).has("result");
                }
            });
            try (RpcClient bot = RpcClient.unix(socket)) {
                assertThat(bot.result("listAccounts", null)).isEmpty();
                JsonNode badLink = bot.call("register", RpcClient.params().put("server", "https://example.org")
                        .put("username", "dave.10"));
                assertThat(badLink.get("error").get("code").asInt()).isEqualTo(-1);
                assertThat(badLink.get("error").get("message").asText()).contains("svyaz://");
                JsonNode missing = bot.call("register", RpcClient.params().put("server", server.inviteLink()));
                assertThat(missing.get("error").get("code").asInt()).isEqualTo(-32602);

                JsonNode dave = bot.result("register", RpcClient.params().put("server", server.inviteLink())
                        .put("username", "dave.10"));
                assertThat(dave.get("username").asText()).isEqualTo("dave.10");
                JsonNode erin = bot.result("register", RpcClient.params().put("server", server.inviteLink())
                        .put("username", "erin"));
                String erinName = erin.get("username").asText();
                assertThat(erinName).startsWith("erin.");
                JsonNode taken = bot.call("register", RpcClient.params().put("server", server.inviteLink())
                        .put("username", "dave.10"));
                assertThat(taken.get("error").get("code").asInt()).isEqualTo(-1);
                assertThat(bot.result("listAccounts", null).findValuesAsText("username"))
                        .containsExactlyInAnyOrder("dave.10", erinName);

                // Both receive at once: a message between them reaches the bot as erin's.
                bot.result("send", RpcClient.params().put("account", "dave.10").put("message", "welcome")
                        .put("recipient", erinName));
                JsonNode heard = nextText(bot);
                assertThat(heard).as("the new account receives").isNotNull();
                assertThat(heard.get("params").get("account").asText()).isEqualTo(erinName);
                assertThat(heard.get("params").get("envelope").get("dataMessage").get("message").asText())
                        .isEqualTo("welcome");
            }
            // Commands for a registered account go through the daemon too.
            Cli.Result receive = Cli.run("-d", empty.toString(), "-a", "dave.10", "receive", "-t", "1");
            assertThat(receive.exitCode()).isEqualTo(1);
            assertThat(receive.err()).contains("daemon");
        }
    }

    @Test
    void rpcDiscoverListsEveryAccountCommandOfTheCli() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Path socket = daemonFor(server.inviteLink(), "carol.33");
            try (RpcClient carol = RpcClient.unix(socket)) {
                JsonNode document = carol.result("rpc.discover", null);
                assertThat(document.get("openrpc").asText()).startsWith("1.");
                Set<String> methods = new TreeSet<>();
                document.get("methods").forEach(m -> methods.add(m.get("name").asText()));
                // Every command of the CLI that acts on an account is a method, under the same name.
                Set<String> commands = new TreeSet<>(
                        new CommandLine(new SvyazCommand()).getSubcommands().keySet());
                commands.removeAll(List.of("server", "relay", "bench", "daemon", "app",
                        "jsonRpc", "receive", "help"));
                assertThat(methods).containsAll(commands)
                        .contains("rpc.discover", "subscribeReceive", "unsubscribeReceive", "version");
                JsonNode send = StreamSupport.stream(document.get("methods").spliterator(), false)
                        .filter(m -> m.get("name").asText().equals("send")).findFirst().orElseThrow();
                assertThat(send.toString()).contains("recipient").contains("groupId").contains("quoteTimestamp");

                // A thousand calls in flight on one connection, and fifty connections at once, all answered.
                List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
                try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < 1000; i++) {
                        calls.add(CompletableFuture.supplyAsync(() -> {
                            try {
                                return carol.call("listGroups", null);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }, threads));
                    }
                    for (int i = 0; i < 50; i++) {
                        calls.add(CompletableFuture.supplyAsync(() -> {
                            try (RpcClient other = RpcClient.unix(socket)) {
                                return other.call("version", null);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }, threads));
                    }
                    for (var call : calls) {
                        assertThat(call.get().has("result")).as(call.get().toString()).isTrue();
                    }
                }
            }
        }
    }

    @Test
    void groupRepliesEditsAndDeletesOverJsonRpcNameTheirGroup() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            // One daemon serves all three accounts; each call and notification names its account.
            Path shared = temp.resolve("trio");
            for (String username : List.of("alice.71", "bob.72", "carol.73")) {
                register(shared, server.inviteLink(), username);
            }
            Path socket = startSharedDaemon(shared);
            try (RpcClient rpc = RpcClient.unix(socket)) {
                String groupId = rpc.result("updateGroup", RpcClient.params().put("account", "alice.71")
                        .put("name", "Trio").set("member", RpcClient.JSON.createArrayNode().add("bob.72").add("carol.73")))
                        .get("groupId").asText();
                long chapter = rpc.result("send", RpcClient.params().put("account", "alice.71").put("groupId", groupId)
                        .put("message", "first chapter")).get("timestamp").asLong();
                nextFor(rpc, "bob.72", e -> e.path("dataMessage").path("message").asText().equals("first chapter"));

                // Bob replies quoting Alice's message: Carol's notification has the quote and the group.
                JsonNode replied = rpc.result("send", RpcClient.params().put("account", "bob.72").put("groupId", groupId)
                        .put("message", "which one?").put("quoteTimestamp", chapter).put("quoteAuthor", "alice.71"));
                assertThat(replied.get("results").findValuesAsText("type")).containsExactly("SUCCESS", "SUCCESS");
                JsonNode reply = nextFor(rpc, "carol.73", e -> e.path("dataMessage").has("quote")).get("envelope");
                assertThat(reply.get("source").asText()).isEqualTo("bob.72");
                assertThat(reply.at("/dataMessage/groupInfo/groupId").asText()).isEqualTo(groupId);
                assertThat(reply.at("/dataMessage/quote/id").asLong()).isEqualTo(chapter);
                assertThat(reply.at("/dataMessage/quote/author").asText()).isEqualTo("alice.71");
                assertThat(reply.at("/dataMessage/quote/text").asText()).isEqualTo("first chapter");

                // Alice edits, then deletes her message: signal-cli's editMessage and remoteDelete, each with the group.
                long edited = rpc.result("send", RpcClient.params().put("account", "alice.71").put("groupId", groupId)
                        .put("message", "first two chapters").put("editTimestamp", chapter)).get("timestamp").asLong();
                JsonNode edit = nextFor(rpc, "carol.73", e -> e.has("editMessage"));
                assertThat(edit.has("exception")).as(edit.toString()).isFalse();
                assertThat(edit.at("/envelope/editMessage/targetSentTimestamp").asLong()).isEqualTo(chapter);
                assertThat(edit.at("/envelope/editMessage/dataMessage/message").asText()).isEqualTo("first two chapters");
                assertThat(edit.at("/envelope/editMessage/dataMessage/timestamp").asLong()).isEqualTo(edited);
                assertThat(edit.at("/envelope/editMessage/dataMessage/groupInfo/groupId").asText()).isEqualTo(groupId);
                await("bob's device applies the edit").atMost(Duration.ofSeconds(30)).until(() -> rpc.result(
                        "listMessages", RpcClient.params().put("account", "bob.72").put("groupId", groupId))
                        .get(0).path("editedAt").asLong() == edited);

                rpc.result("remoteDelete", RpcClient.params().put("account", "alice.71").put("groupId", groupId)
                        .put("targetTimestamp", chapter));
                JsonNode delete = nextFor(rpc, "carol.73", e -> e.path("dataMessage").has("remoteDelete"));
                assertThat(delete.has("exception")).as(delete.toString()).isFalse();
                assertThat(delete.at("/envelope/dataMessage/remoteDelete/timestamp").asLong()).isEqualTo(chapter);
                assertThat(delete.at("/envelope/dataMessage/groupInfo/groupId").asText()).isEqualTo(groupId);
                JsonNode atCarol = rpc.result("listMessages", RpcClient.params().put("account", "carol.73")
                        .put("groupId", groupId));
                assertThat(atCarol.get(0).get("remoteDeleted").asBoolean()).isTrue();
                assertThat(atCarol.get(0).get("body").asText()).isEmpty();
                assertThat(atCarol.get(1).get("quote").get("text").asText()).as("the quote of it is erased too").isEmpty();

                // Only one's own messages, and a group or recipients, not both.
                JsonNode notHers = rpc.call("remoteDelete", RpcClient.params().put("account", "bob.72")
                        .put("groupId", groupId).put("targetTimestamp", chapter));
                assertThat(notHers.get("error").get("code").asInt()).isEqualTo(-1);
                JsonNode both = rpc.call("remoteDelete", RpcClient.params().put("account", "bob.72")
                        .put("groupId", groupId).put("recipient", "alice.71").put("targetTimestamp", chapter));
                assertThat(both.get("error").get("code").asInt()).isEqualTo(-32602);
                JsonNode noSuchQuote = rpc.call("send", RpcClient.params().put("account", "bob.72").put("groupId", groupId)
                        .put("message", "x").put("quoteTimestamp", chapter + 1).put("quoteAuthor", "alice.71"));
                assertThat(noSuchQuote.get("error").get("code").asInt()).isEqualTo(-1);
            }
        }
    }

    /** Starts one daemon for every account under {@code dataDir} and waits until it answers. */
    private Path startSharedDaemon(Path dataDir) throws Exception {
        Path socket = temp.resolve("sockets").resolve(dataDir.getFileName() + ".sock");
        Process daemon = Cli.start(temp.resolve("logs"), "daemon-" + dataDir.getFileName() + "-" + daemons.size(),
                "-d", dataDir.toString(), "daemon", "--socket", socket.toString());
        daemons.add(daemon);
        awaitAnswer(daemon, socket);
        return socket;
    }

    @Test
    void groupReceiptsTypingAndOwnRepliesOverJsonRpcAsSignalShowsThem() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Path shared = temp.resolve("club");
            for (String username : List.of("alice.61", "bob.62", "carol.63")) {
                register(shared, server.inviteLink(), username);
            }
            Path socket = startSharedDaemon(shared);
            String groupId;
            long chapter;
            long groupReply;
            long direct;
            long directReply;
            try (RpcClient rpc = RpcClient.unix(socket)) {
                groupId = rpc.result("updateGroup", RpcClient.params().put("account", "alice.61")
                        .put("name", "Club").set("member", RpcClient.JSON.createArrayNode().add("bob.62").add("carol.63")))
                        .get("groupId").asText();
                chapter = rpc.result("send", RpcClient.params().put("account", "alice.61").put("groupId", groupId)
                        .put("message", "first chapter")).get("timestamp").asLong();

                // Bob's and Carol's devices send Alice delivery receipts by themselves; the receipt
                // notification tells the message's state for the whole group, as listMessages does.
                long sent = chapter;
                nextFor(rpc, "alice.61", e -> groupState(e, groupId, sent, "deliveredAt"));
                JsonNode delivered = ownMessage(rpc, "alice.61", groupId, chapter);
                assertThat(delivered.get("deliveredAt").isNull()).as(delivered.toString()).isFalse();
                assertThat(delivered.get("readAt").isNull()).isTrue();

                // Read when both read it.
                for (String member : List.of("bob.62", "carol.63")) {
                    await(member + " has the message").atMost(Duration.ofSeconds(30)).until(() -> rpc.result(
                            "listMessages", RpcClient.params().put("account", member).put("groupId", groupId)).size() == 1);
                    assertThat(rpc.result("markRead", RpcClient.params().put("account", member).put("groupId", groupId)
                            .put("targetTimestamp", chapter)).get("readReceiptSent").asBoolean()).isTrue();
                }
                nextFor(rpc, "alice.61", e -> groupState(e, groupId, sent, "readAt"));
                assertThat(ownMessage(rpc, "alice.61", groupId, chapter).get("readAt").isNull()).isFalse();

                // Typing in the group names it.
                rpc.result("sendTyping", RpcClient.params().put("account", "bob.62").put("groupId", groupId));
                JsonNode typing = nextFor(rpc, "alice.61", e -> e.has("typingMessage")).get("envelope");
                assertThat(typing.get("source").asText()).isEqualTo("bob.62");
                assertThat(typing.at("/typingMessage/action").asText()).isEqualTo("STARTED");
                assertThat(typing.at("/typingMessage/groupId").asText()).isEqualTo(groupId);
                JsonNode both = rpc.call("sendTyping", RpcClient.params().put("account", "bob.62")
                        .put("groupId", groupId).put("recipient", "alice.61"));
                assertThat(both.get("error").get("code").asInt()).isEqualTo(-32602);

                // Bob's replies, in the group and to Alice alone, keep their quotes.
                groupReply = rpc.result("send", RpcClient.params().put("account", "bob.62").put("groupId", groupId)
                        .put("message", "which one?").put("quoteTimestamp", chapter).put("quoteAuthor", "alice.61"))
                        .get("timestamp").asLong();
                direct = rpc.result("send", RpcClient.params().put("account", "alice.61")
                        .put("recipient", "bob.62").put("message", "just us")).get("timestamp").asLong();
                nextFor(rpc, "bob.62", e -> e.path("dataMessage").path("message").asText().equals("just us"));
                directReply = rpc.result("send", RpcClient.params().put("account", "bob.62").put("recipient", "alice.61")
                        .put("message", "yes").put("quoteTimestamp", direct)).get("timestamp").asLong();
            }

            // Another daemon on the same accounts shows Bob's replies with their quotes.
            Process first = daemons.removeLast();
            first.destroy();
            first.waitFor();
            try (RpcClient rpc = RpcClient.unix(startSharedDaemon(shared))) {
                JsonNode inGroup = ownMessage(rpc, "bob.62", groupId, groupReply).get("quote");
                assertThat(inGroup.get("id").asLong()).isEqualTo(chapter);
                assertThat(inGroup.get("author").asText()).isEqualTo("alice.61");
                assertThat(inGroup.get("text").asText()).isEqualTo("first chapter");
                JsonNode alone = messageAt(rpc.result("listMessages", RpcClient.params().put("account", "bob.62")
                        .put("recipient", "alice.61")), directReply).get("quote");
                assertThat(alone.get("id").asLong()).isEqualTo(direct);
                assertThat(alone.get("author").asText()).isEqualTo("alice.61");
                assertThat(alone.get("text").asText()).isEqualTo("just us");
            }
        }
    }

    /** Whether a receipt notification tells that the group message sent at {@code timestamp} has {@code field}. */
    private static boolean groupState(JsonNode envelope, String groupId, long timestamp, String field) {
        for (JsonNode state : envelope.path("receiptMessage").path("groupMessages")) {
            if (state.get("groupId").asText().equals(groupId) && state.get("timestamp").asLong() == timestamp
                    && !state.get(field).isNull()) {
                return true;
            }
        }
        return false;
    }

    /** {@code account}'s own message of the group sent at {@code timestamp}, as listMessages shows it. */
    private static JsonNode ownMessage(RpcClient rpc, String account, String groupId, long timestamp) throws Exception {
        return messageAt(rpc.result("listMessages", RpcClient.params().put("account", account).put("groupId", groupId)),
                timestamp);
    }

    private static JsonNode messageAt(JsonNode messages, long timestamp) {
        for (JsonNode message : messages) {
            if (message.get("outgoing").asBoolean() && message.get("timestamp").asLong() == timestamp) {
                return message;
            }
        }
        throw new AssertionError("no own message sent at " + timestamp + " in " + messages);
    }

    /** The next notification for {@code account} whose envelope matches, skipping the rest; fails after 30 s. */
    private static JsonNode nextFor(RpcClient rpc, String account, Predicate<JsonNode> envelope)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode notification = rpc.nextNotification(Duration.ofSeconds(1));
            if (notification != null && notification.at("/params/account").asText().equals(account)
                    && envelope.test(notification.at("/params/envelope"))) {
                return notification.get("params");
            }
        }
        throw new AssertionError("no such notification for " + account + " in 30 s");
    }
}
