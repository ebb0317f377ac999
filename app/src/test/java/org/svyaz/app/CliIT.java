// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.net.CensoringProxy;

/** The CLI contract, driven as separate processes against {@code svyaz server} running as a process. */
class CliIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void twoUsersTalkThroughTheCliAndScriptsCanReadTheJson() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String link = server.inviteLink();
            String alice = temp.resolve("alice").toString();
            String bob = temp.resolve("bob").toString();

            Cli.Result registered = Cli.run("-d", alice, "register", "--server", link, "--username", "alice");
            assertThat(registered.exitCode()).as(registered.err()).isZero();
            String aliceName = registered.out().strip().replace("Registered as ", "");
            assertThat(aliceName).matches("alice\\.\\d{2,}");
            assertThat(Cli.run("-d", bob, "register", "--server", link, "--username", "bob.42").exitCode()).isZero();

            Cli.Result sent = Cli.run("-d", alice, "send", "-m", "hello from the shell", "bob.42");
            assertThat(sent.exitCode()).as(sent.err()).isZero();
            assertThat(sent.out().strip()).matches("\\d+");

            Cli.Result received = Cli.run("-d", bob, "-o", "json", "receive", "-t", "3");
            assertThat(received.exitCode()).as(received.err()).isZero();
            List<JsonNode> lines = jsonLines(received.out());
            assertThat(lines).hasSize(1);
            JsonNode envelope = lines.getFirst().get("envelope");
            assertThat(envelope.get("source").asText()).isEqualTo(aliceName);
            assertThat(envelope.get("sourceName").asText()).isEqualTo(aliceName);
            assertThat(envelope.get("timestamp").asLong()).isEqualTo(Long.parseLong(sent.out().strip()));
            assertThat(envelope.get("dataMessage").get("message").asText()).isEqualTo("hello from the shell");
            assertThat(lines.getFirst().get("account").asText()).isEqualTo("bob.42");

            // Nothing is shown twice.
            assertThat(Cli.run("-d", bob, "-o", "json", "receive", "-t", "1").out()).isBlank();

            assertThat(Cli.run("-d", bob, "send", "-m", "reply", aliceName).exitCode()).isZero();
            Cli.Result plain = Cli.run("-d", alice, "receive", "-t", "3");
            assertThat(plain.out()).contains("Envelope from: bob.42").contains("Body: reply");

            // Contacts: whoever wrote or was written to, offline, one JSON array.
            List<JsonNode> contacts = jsonLines(Cli.run("-d", alice, "-o", "json", "listContacts").out());
            assertThat(contacts).hasSize(1);
            assertThat(contacts.getFirst()).hasSize(1);
            assertThat(contacts.getFirst().get(0).get("username").asText()).isEqualTo("bob.42");
            assertThat(contacts.getFirst().get(0).get("uuid").asText()).hasSize(36);
            assertThat(contacts.getFirst().get(0).get("messageExpirationTime").asInt()).isZero();
            assertThat(Cli.run("-d", bob, "listContacts").out().strip()).isEqualTo(aliceName);

            // Safety numbers: both sides see the same number, and trust -v accepts only that one.
            String bobsView = safetyNumber(Cli.run("-d", bob, "-o", "json", "listIdentities", aliceName));
            String alicesView = safetyNumber(Cli.run("-d", alice, "-o", "json", "listIdentities", "bob.42"));
            assertThat(bobsView).hasSize(60).isEqualTo(alicesView);
            Cli.Result wrong = Cli.run("-d", alice, "trust", "-v", "1".repeat(60), "bob.42");
            assertThat(wrong.exitCode()).isEqualTo(1);
            assertThat(wrong.err()).contains("does not match");
            assertThat(Cli.run("-d", alice, "trust", "-v", alicesView, "bob.42").exitCode()).isZero();
            assertThat(jsonLines(Cli.run("-d", alice, "-o", "json", "listIdentities").out()).getFirst().get(0)
                    .get("trustLevel").asText()).isEqualTo("TRUSTED_VERIFIED");
        }
    }

    @Test
    void errorsHaveSignalCliExitCodesAndSentences() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String alice = temp.resolve("alice").toString();
            assertThat(Cli.run("-d", alice, "register", "--server", server.inviteLink(), "--username", "alice.10")
                    .exitCode()).isZero();

            Cli.Result unknown = Cli.run("-d", alice, "send", "-m", "hi", "nobody.99");
            assertThat(unknown.exitCode()).isEqualTo(1);
            assertThat(unknown.err()).contains("No account is registered as nobody.99");

            Cli.Result badLink = Cli.run("-d", temp.resolve("x").toString(), "register", "--server", "https://example.org",
                    "--username", "x.10");
            assertThat(badLink.exitCode()).isEqualTo(1);
            assertThat(badLink.err()).contains("svyaz://");

            Cli.Result taken = Cli.run("-d", temp.resolve("y").toString(), "register", "--server", server.inviteLink(),
                    "--username", "alice.10");
            assertThat(taken.exitCode()).isEqualTo(1);
            assertThat(taken.err()).contains("taken");

            Cli.Result noAccount = Cli.run("-d", temp.resolve("empty").toString(), "receive");
            assertThat(noAccount.exitCode()).isEqualTo(1);
            assertThat(noAccount.err()).contains("register");

            Cli.Result usage = Cli.run("send", "--no-such-option");
            assertThat(usage.exitCode()).isEqualTo(1);
            Cli.Result noSuchCommand = Cli.run("nosuch", "--help");
            assertThat(noSuchCommand.exitCode()).as("an unknown command is an error whatever follows it").isEqualTo(1);
            assertThat(noSuchCommand.err()).contains("nosuch");
            assertThat(Cli.run("--help").exitCode()).isZero();
            assertThat(Cli.run("--help").out()).contains("daemon").contains("jsonRpc");
            Cli.Result accounts = Cli.run("-d", alice, "-o", "json", "listAccounts");
            assertThat(accounts.out().strip()).isEqualTo("[{\"number\":null,\"username\":\"alice.10\"}]");

            Cli.Result self = Cli.run("-d", alice, "send", "-m", "hi", "alice.10");
            assertThat(self.exitCode()).isEqualTo(1);
            assertThat(self.err()).contains("Note to Self");

            server.kill();
            Cli.Result down = Cli.run("-d", alice, "send", "-m", "hi", "bob.11");
            assertThat(down.exitCode()).isEqualTo(3);
            assertThat(down.err()).containsIgnoringCase("connect");
        }
    }

    @Test
    void inviteOnlyServerAcceptsOneRegistrationPerCode() throws Exception {
        Path data = temp.resolve("server");
        try (ServerProcess server = new ServerProcess(data, temp.resolve("logs"), "--registration", "invite").start()) {
            Cli.Result refused = Cli.run("-d", temp.resolve("a").toString(), "register", "--server", server.inviteLink(),
                    "--username", "anna.11");
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.err()).contains("invite");

            Cli.Result invite = Cli.run("server", "invite", "--data", data.toString());
            assertThat(invite.exitCode()).as(invite.err()).isZero();
            String link = invite.out().strip();
            assertThat(link).contains("?invite=");
            assertThat(Cli.run("-d", temp.resolve("a").toString(), "register", "--server", link, "--username", "anna.11")
                    .exitCode()).isZero();
            Cli.Result reused = Cli.run("-d", temp.resolve("b").toString(), "register", "--server", link,
                    "--username", "boris.12");
            assertThat(reused.exitCode()).isEqualTo(1);
            assertThat(reused.err()).contains("already used");
        }
    }

    /**
     * Issue #16, point 1: a relay token found in the wild points the operator at the invite (or
     * account) it was issued to, while the server runs.
     */
    @Test
    void tokenOwnerNamesTheInviteARelayTokenCameFrom() throws Exception {
        Path data = temp.resolve("server");
        try (ServerProcess server = new ServerProcess(data, temp.resolve("logs"), "--registration", "invite").start()) {
            byte[] serverKey = org.svyaz.protocol.InviteLink.parse(server.inviteLink()).descriptor().getIdentityKey()
                    .toByteArray();
            String relay = new org.svyaz.protocol.RelayLink(org.svyaz.protocol.relay.RelayDescriptor.newBuilder()
                    .setHost("203.0.113.7").setPort(443).setSni("news.example.org")
                    .setTlsKeyPin(com.google.protobuf.ByteString.copyFrom(new byte[32]))
                    .setSecret(com.google.protobuf.ByteString.copyFrom(new byte[] {
                        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}))
                    .setServerIdentityKey(com.google.protobuf.ByteString.copyFrom(serverKey)).build()).toString();
            assertThat(Cli.run("server", "descriptor", "--data", data.toString(), "--add-relay", relay).exitCode())
                    .isZero();
            String invite = Cli.run("server", "invite", "--data", data.toString()).out().strip();
            String granted = org.svyaz.protocol.InviteLink.parse(invite).relays().getFirst().toString();

            Cli.Result open = Cli.run("server", "token-owner", "--data", data.toString(), granted);
            assertThat(open.exitCode()).as(open.err()).isZero();
            assertThat(open.out()).startsWith("an invite not used yet, valid until ");
            assertThat(Cli.run("server", "token-owner", "--data", data.toString(), invite).out())
                    .as("the invite link itself").startsWith("an invite not used yet");

            Cli.Result handShared = Cli.run("server", "token-owner", "--data", data.toString(), relay);
            assertThat(handShared.exitCode()).isEqualTo(1);
            assertThat(handShared.err()).contains("carries no relay token");
            Cli.Result garbage = Cli.run("server", "token-owner", "--data", data.toString(), "svyaz://relay/%%%");
            assertThat(garbage.exitCode()).isEqualTo(1);
            assertThat(garbage.err()).contains("Not a relay or invite link");
        }
    }

    @Test
    void untrustedIdentityExitsWithFourAndRateLimitWithFive() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs"),
                "--send-burst", "3", "--sends-per-second", "0.01").start()) {
            String alice = temp.resolve("alice").toString();
            String bob = temp.resolve("bob").toString();
            assertThat(Cli.run("-d", alice, "register", "--server", server.inviteLink(), "--username", "alice.61")
                    .exitCode()).isZero();
            assertThat(Cli.run("-d", bob, "register", "--server", server.inviteLink(), "--username", "bob.62")
                    .exitCode()).isZero();
            assertThat(Cli.run("-d", alice, "send", "-m", "one", "bob.62").exitCode()).isZero();

            Cli.Result unconfirmed = Cli.run("-d", bob, "resetIdentity");
            assertThat(unconfirmed.exitCode()).isEqualTo(1);
            assertThat(Cli.run("-d", bob, "resetIdentity", "--yes").exitCode()).isZero();

            Cli.Result refused = Cli.run("-d", alice, "send", "-m", "two", "bob.62");
            assertThat(refused.exitCode()).as(refused.err()).isEqualTo(4);
            assertThat(refused.err()).contains("safety number with bob.62 has changed");
            assertThat(Cli.run("-d", alice, "trust", "-a", "bob.62").exitCode()).isZero();
            assertThat(Cli.run("-d", alice, "send", "-m", "three", "bob.62").exitCode()).isZero();

            Cli.Result limited = Cli.run("-d", alice, "send", "-m", "four", "bob.62");
            assertThat(limited.exitCode()).as(limited.err()).isEqualTo(5);
            assertThat(limited.err()).contains("Too many messages");
        }
    }

    @Test
    void dataDirectoryComesFromTheEnvironmentAndHoldsSeveralAccounts() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            java.util.Map<String, String> home = java.util.Map.of("SVYAZ_HOME", temp.resolve("home").toString());
            java.util.Map<String, String> xdg = java.util.Map.of("XDG_DATA_HOME", temp.resolve("xdg").toString());
            assertThat(Cli.runWithEnvironment(home, "register", "--server", server.inviteLink(), "--username", "vera.21")
                    .exitCode()).isZero();
            assertThat(Cli.runWithEnvironment(home, "register", "--server", server.inviteLink(), "--username", "gleb.22")
                    .exitCode()).isZero();
            assertThat(Cli.runWithEnvironment(xdg, "register", "--server", server.inviteLink(), "--username", "lev.23")
                    .exitCode()).isZero();
            assertThat(temp.resolve("xdg").resolve("svyaz").resolve("lev.23").resolve("account.db")).exists();
            assertThat(Cli.runWithEnvironment(home, "listAccounts").out().lines().toList())
                    .containsExactly("gleb.22", "vera.21");

            Cli.Result ambiguous = Cli.runWithEnvironment(home, "send", "-m", "hi", "lev.23");
            assertThat(ambiguous.exitCode()).isEqualTo(1);
            assertThat(ambiguous.err()).contains("-a USERNAME");
            assertThat(Cli.runWithEnvironment(home, "-a", "vera.21", "send", "-m", "from vera", "lev.23").exitCode())
                    .isZero();
            assertThat(Cli.runWithEnvironment(xdg, "receive", "-t", "2").out()).contains("Envelope from: vera.21",
                    "Body: from vera");
        }
    }

    @Test
    void profileNamesDisappearingTimersAndSealedSenderThroughTheCli() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String alice = temp.resolve("alice").toString();
            String bob = temp.resolve("bob").toString();
            assertThat(Cli.run("-d", alice, "register", "--server", server.inviteLink(), "--username", "alice.71")
                    .exitCode()).isZero();
            assertThat(Cli.run("-d", bob, "register", "--server", server.inviteLink(), "--username", "bob.72")
                    .exitCode()).isZero();
            assertThat(Cli.run("-d", alice, "updateProfile", "--name", "Alice Zelenaya").exitCode()).isZero();
            assertThat(Cli.run("-d", alice, "updateContact", "--expiration", "3600", "bob.72").exitCode()).isZero();

            Cli.Result first = Cli.run("-d", alice, "send", "-m", "first contact", "bob.72");
            assertThat(first.exitCode()).isZero();
            assertThat(first.err()).contains("without sealed sender");

            List<JsonNode> atBob = jsonLines(Cli.run("-d", bob, "-o", "json", "receive", "-t", "3").out());
            assertThat(atBob).hasSize(2);
            assertThat(atBob.get(0).get("envelope").get("dataMessage").get("expiresInSeconds").asInt()).isEqualTo(3600);
            assertThat(atBob.get(0).get("envelope").get("dataMessage").get("message").isNull()).isTrue();
            JsonNode message = atBob.get(1).get("envelope");
            assertThat(message.get("sourceName").asText()).isEqualTo("Alice Zelenaya");
            assertThat(message.get("source").asText()).isEqualTo("alice.71");
            assertThat(message.get("dataMessage").get("expiresInSeconds").asInt()).isEqualTo(3600);

            Cli.Result reply = Cli.run("-d", bob, "send", "-m", "sealed reply", "alice.71");
            assertThat(reply.exitCode()).isZero();
            assertThat(reply.err()).as("a reply to a contact is sealed").doesNotContain("without sealed sender");
            // First Bob's device's delivery receipt for "first contact" (sent by his receive), then his reply.
            List<JsonNode> atAliceLines = jsonLines(Cli.run("-d", alice, "-o", "json", "receive", "-t", "3").out());
            assertThat(atAliceLines).hasSize(2);
            JsonNode receipt = atAliceLines.get(0).get("envelope").get("receiptMessage");
            assertThat(receipt.get("isDelivery").asBoolean()).isTrue();
            assertThat(receipt.get("timestamps").get(0).asLong()).isEqualTo(Long.parseLong(first.out().strip()));
            JsonNode atAlice = atAliceLines.get(1);
            assertThat(atAlice.get("envelope").get("source").asText()).isEqualTo("bob.72");
            assertThat(atAlice.get("envelope").get("dataMessage").get("expiresInSeconds").asInt()).isEqualTo(3600);
        }
    }

    @Test
    void receiptsTypingReactionsQuotesEditsAndDeletesThroughTheCli() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String alice = temp.resolve("alice").toString();
            String bob = temp.resolve("bob").toString();
            assertThat(Cli.run("-d", alice, "register", "--server", server.inviteLink(), "--username", "alice.81")
                    .exitCode()).isZero();
            assertThat(Cli.run("-d", bob, "register", "--server", server.inviteLink(), "--username", "bob.82")
                    .exitCode()).isZero();
            long hi = timestamp(Cli.run("-d", alice, "send", "-m", "hi bob", "bob.82"));
            long more = timestamp(Cli.run("-d", alice, "send", "-m", "one more", "bob.82"));
            assertThat(receive(bob)).hasSize(2);

            // Bob's receive sent delivery receipts for both (in one envelope or two, as they arrived).
            List<JsonNode> delivered = receive(alice).stream().map(line -> line.get("envelope").get("receiptMessage"))
                    .toList();
            assertThat(delivered).isNotEmpty().allSatisfy(receipt -> {
                assertThat(receipt.get("isDelivery").asBoolean()).isTrue();
                assertThat(receipt.get("isRead").asBoolean()).isFalse();
            });
            List<Long> deliveredTimestamps = new ArrayList<>();
            delivered.forEach(receipt -> receipt.get("timestamps").forEach(t -> deliveredTimestamps.add(t.asLong())));
            assertThat(deliveredTimestamps).containsExactly(hi, more);

            timestamp(Cli.run("-d", bob, "sendReceipt", "-t", String.valueOf(hi), "alice.81"));
            timestamp(Cli.run("-d", bob, "sendTyping", "alice.81"));
            timestamp(Cli.run("-d", bob, "sendTyping", "--stop", "alice.81"));
            // Emoji travel in the arguments: the locale must be UTF-8 for the JVM to read them.
            timestamp(Cli.runWithEnvironment(UTF8, "-d", bob, "sendReaction", "-e", "👍", "-a", "alice.81",
                    "-t", String.valueOf(hi), "alice.81"));
            long reply = timestamp(Cli.run("-d", bob, "send", "-m", "hi alice", "--quote-timestamp", String.valueOf(hi),
                    "alice.81"));
            List<JsonNode> atAlice = receive(alice);
            assertThat(atAlice).hasSize(5);
            JsonNode read = atAlice.get(0).get("envelope").get("receiptMessage");
            assertThat(read.get("isRead").asBoolean()).isTrue();
            assertThat(read.get("timestamps")).extracting(JsonNode::asLong).containsExactly(hi);
            assertThat(atAlice.get(1).get("envelope").get("typingMessage").get("action").asText()).isEqualTo("STARTED");
            assertThat(atAlice.get(2).get("envelope").get("typingMessage").get("action").asText()).isEqualTo("STOPPED");
            JsonNode reaction = atAlice.get(3).get("envelope").get("dataMessage").get("reaction");
            assertThat(reaction.get("emoji").asText()).isEqualTo("👍");
            assertThat(reaction.get("targetAuthor").asText()).isEqualTo("alice.81");
            assertThat(reaction.get("targetSentTimestamp").asLong()).isEqualTo(hi);
            assertThat(reaction.get("isRemove").asBoolean()).isFalse();
            assertThat(atAlice.get(3).has("exception")).isFalse();
            JsonNode quoting = atAlice.get(4).get("envelope");
            assertThat(quoting.get("timestamp").asLong()).isEqualTo(reply);
            assertThat(quoting.get("dataMessage").get("message").asText()).isEqualTo("hi alice");
            JsonNode quote = quoting.get("dataMessage").get("quote");
            assertThat(quote.get("id").asLong()).isEqualTo(hi);
            assertThat(quote.get("author").asText()).isEqualTo("alice.81");
            assertThat(quote.get("text").asText()).isEqualTo("hi bob");

            // Alice edits and deletes her messages; Bob's receive shows both as applied.
            timestamp(Cli.run("-d", alice, "send", "--edit-timestamp", String.valueOf(more), "-m", "one more, edited",
                    "bob.82"));
            timestamp(Cli.run("-d", alice, "remoteDelete", "-t", String.valueOf(hi), "bob.82"));
            List<JsonNode> atBob = receive(bob);
            List<JsonNode> signals = atBob.stream().filter(line -> !line.get("envelope").has("receiptMessage")).toList();
            assertThat(signals).hasSize(2);
            JsonNode edit = signals.get(0).get("envelope").get("editMessage");
            assertThat(edit.get("targetSentTimestamp").asLong()).isEqualTo(more);
            assertThat(edit.get("dataMessage").get("message").asText()).isEqualTo("one more, edited");
            assertThat(signals.get(1).get("envelope").get("dataMessage").get("remoteDelete").get("timestamp").asLong())
                    .isEqualTo(hi);
            assertThat(signals).allSatisfy(line -> assertThat(line.has("exception")).isFalse());

            // Bob cannot edit or delete Alice's message: it arrives, is reported, and changes nothing.
            timestamp(Cli.run("-d", bob, "send", "--edit-timestamp", String.valueOf(more), "-m", "forged", "alice.81"));
            JsonNode forged = receive(alice).stream().filter(line -> line.get("envelope").has("editMessage"))
                    .findFirst().orElseThrow();
            assertThat(forged.get("exception").get("type").asText()).isEqualTo("NotApplied");
            assertThat(forged.get("exception").get("message").asText()).contains("author");

            // Refused before anything is sent: exit code 1 and a sentence.
            Cli.Result twoEmoji = Cli.runWithEnvironment(UTF8, "-d", bob, "sendReaction", "-e", "👍👍", "-a", "alice.81",
                    "-t", String.valueOf(hi), "alice.81");
            assertThat(twoEmoji.exitCode()).isEqualTo(1);
            assertThat(twoEmoji.err()).contains("not one emoji");
            Cli.Result empty = Cli.run("-d", bob, "sendReaction", "-e", "", "-a", "alice.81", "-t", String.valueOf(hi),
                    "alice.81");
            assertThat(empty.exitCode()).isEqualTo(1);
            Cli.Result unknownReceipt = Cli.run("-d", bob, "sendReceipt", "-t", "12345", "alice.81");
            assertThat(unknownReceipt.exitCode()).isEqualTo(1);
            assertThat(unknownReceipt.err()).contains("12345");
            Cli.Result noQuote = Cli.run("-d", bob, "send", "-m", "x", "--quote-timestamp", "12345", "alice.81");
            assertThat(noQuote.exitCode()).isEqualTo(1);
            assertThat(noQuote.err()).contains("--quote-author");
            assertThat(receive(alice)).as("nothing was sent").isEmpty();
        }
    }

    private static final java.util.Map<String, String> UTF8 = java.util.Map.of("LC_ALL", "C.UTF-8");

    /** The timestamp a successful send-like command printed. */
    private static long timestamp(Cli.Result result) {
        assertThat(result.exitCode()).as(result.err()).isZero();
        return Long.parseLong(result.out().strip());
    }

    private static List<JsonNode> receive(String dataDir) throws Exception {
        Cli.Result result = Cli.runWithEnvironment(UTF8, "-d", dataDir, "-o", "json", "receive", "-t", "3");
        assertThat(result.exitCode()).as(result.err()).isZero();
        return jsonLines(result.out());
    }

    @Test
    void filesTravelWithMessagesAndReceiveSaysWhereTheyWereSaved() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            String link = server.inviteLink();
            String alice = temp.resolve("alice").toString();
            String bob = temp.resolve("bob").toString();
            assertThat(Cli.run("-d", alice, "register", "--server", link, "--username", "alice.30").exitCode()).isZero();
            assertThat(Cli.run("-d", bob, "register", "--server", link, "--username", "bob.31").exitCode()).isZero();
            byte[] scan = new byte[3_000_000];
            new java.util.Random(3).nextBytes(scan);
            Path file = java.nio.file.Files.write(temp.resolve("passport.pdf"), scan);

            // Files arrive unasked only from someone the recipient wrote to.
            assertThat(Cli.run("-d", bob, "send", "-m", "send the scan", "alice.30").exitCode()).isZero();
            Cli.Result sent = Cli.run("-d", alice, "send", "-m", "the scan", "-a", file.toString(), "bob.31");
            assertThat(sent.exitCode()).as(sent.err()).isZero();
            assertThat(sent.err()).contains("Uploading passport.pdf: 0%").contains("Uploading passport.pdf: 100% (3.0 of 3.0 MB)");
            Cli.Result received = Cli.run("-d", bob, "-o", "json", "receive", "-t", "3");
            assertThat(received.err()).contains("Downloading passport.pdf: 100%");
            JsonNode attachment = new ObjectMapper().readTree(received.out().lines().findFirst().orElseThrow())
                    .path("envelope").path("dataMessage").path("attachments").path(0);
            assertThat(attachment.path("filename").asText()).isEqualTo("passport.pdf");
            assertThat(attachment.path("contentType").asText()).isEqualTo("application/pdf");
            assertThat(attachment.path("size").asLong()).isEqualTo(scan.length);
            assertThat(java.nio.file.Files.readAllBytes(Path.of(attachment.path("storedFilename").asText()))).isEqualTo(scan);

            Cli.Result missing = Cli.run("-d", alice, "send", "-m", "x", "-a", temp.resolve("nope.pdf").toString(), "bob.31");
            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(missing.err()).contains("nope.pdf");
        }
    }

    /**
     * The server streams attachments instead of holding them: with a 32 MiB heap it takes a 96 MiB
     * upload and serves it back (a server that buffered the file would run out of memory).
     */
    @Test
    void aServerWithASmallHeapStreamsALargeAttachment() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs"))
                .withEnvironment(java.util.Map.of("JAVA_TOOL_OPTIONS", "-Xmx32m")).start()) {
            String alice = temp.resolve("alice").toString();
            assertThat(Cli.run("-d", alice, "register", "--server", server.inviteLink(), "--username", "alice.32").exitCode())
                    .isZero();
            String auth;
            try (SvyazClient client = SvyazClient.open(temp.resolve("alice").resolve("alice.32"), Clock.systemUTC())) {
                auth = credentialsOf(client);
            }
            var link = org.svyaz.protocol.InviteLink.parse(server.inviteLink());
            javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
            tls.init(null, new javax.net.ssl.TrustManager[] {new org.svyaz.client.net.PinnedTrustManager(
                    link.descriptor().getTlsKeyPinsList().stream().map(com.google.protobuf.ByteString::toByteArray).toList())},
                    null);
            long size = 96L * 1024 * 1024;
            java.net.URI blob = java.net.URI.create("https://127.0.0.1:" + server.port() + "/v1/blobs/" + "B".repeat(42) + "A");
            try (var http = java.net.http.HttpClient.newBuilder().sslContext(tls)
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build()) {
                var put = java.net.http.HttpRequest.newBuilder(blob)
                        .header("Authorization", auth)
                        .header("Upload-Length", Long.toString(size)).header("Upload-Offset", "0")
                        .PUT(java.net.http.HttpRequest.BodyPublishers.fromPublisher(
                                java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> pattern(size)), size))
                        .build();
                assertThat(http.send(put, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
                var download = http.send(java.net.http.HttpRequest.newBuilder(blob).GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofInputStream());
                assertThat(download.statusCode()).isEqualTo(200);
                assertThat(sha256(download.body())).isEqualTo(sha256(pattern(size)));
            }
            assertThat(server.process().isAlive()).as("the server survived").isTrue();
            assertThat(java.nio.file.Files.readString(temp.resolve("logs").resolve("server-1.err")))
                    .as("the server really ran with the small heap").contains("Picked up JAVA_TOOL_OPTIONS: -Xmx32m")
                    .doesNotContain("OutOfMemoryError");
        }
    }

    private static String credentialsOf(SvyazClient client) throws Exception {
        var method = SvyazClient.class.getDeclaredMethod("credentials");
        method.setAccessible(true);
        return ((org.svyaz.protocol.DeviceCredentials) method.invoke(client)).toAuthorizationHeader();
    }

    private static java.io.InputStream pattern(long size) {
        return new java.io.InputStream() {
            private long position;

            @Override
            public int read() {
                return position < size ? (int) ((position++ * 31) & 0xff) : -1;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (position >= size) {
                    return -1;
                }
                int count = (int) Math.min(length, size - position);
                for (int i = 0; i < count; i++) {
                    buffer[offset + i] = (byte) ((position + i) * 31);
                }
                position += count;
                return count;
            }
        };
    }

    private static byte[] sha256(java.io.InputStream in) throws Exception {
        var digest = java.security.MessageDigest.getInstance("SHA-256");
        try (in) {
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = in.read(buffer)) != -1) {
                digest.update(buffer, 0, read);
            }
        }
        return digest.digest();
    }

    @Test
    void operatorsLimitAttachmentSize() throws Exception {
        Cli.Result refused = Cli.run("server", "--data", temp.resolve("never").toString(), "--max-attachment-mb", "0");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("--max-attachment-mb");

        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs"),
                "--max-attachment-mb", "1").start()) {
            var link = org.svyaz.protocol.InviteLink.parse(server.inviteLink());
            javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
            tls.init(null, new javax.net.ssl.TrustManager[] {new org.svyaz.client.net.PinnedTrustManager(
                    link.descriptor().getTlsKeyPinsList().stream().map(com.google.protobuf.ByteString::toByteArray).toList())},
                    null);
            try (var http = java.net.http.HttpClient.newBuilder().sslContext(tls)
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build()) {
                var put = java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + server.port()
                                + "/v1/blobs/" + "A".repeat(43)))
                        .header("Upload-Length", Long.toString(2 * 1024 * 1024)).header("Upload-Offset", "0")
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[1024])).build();
                var answer = http.send(put, java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(413);
                assertThat(answer.body()).contains("1048576 bytes");
            }
        }
    }

    @Test
    void operatorsEditTheDescriptorAdditions() throws Exception {
        Path data = temp.resolve("server");
        try (ServerProcess server = new ServerProcess(data, temp.resolve("logs")).start()) {
            Cli.Result added = Cli.run("server", "descriptor", "--data", data.toString(),
                    "--add-endpoint", "198.51.100.7:443", "--add-doh", "https://dns.example/dns-query");
            assertThat(added.exitCode()).as(added.err()).isZero();
            assertThat(added.out().lines().toList())
                    .containsExactly("endpoint 198.51.100.7:443", "doh https://dns.example/dns-query");
            assertThat(java.nio.file.Files.readString(data.resolve("descriptor.conf"))).contains("endpoint 198.51.100.7:443");

            Cli.Result removed = Cli.run("server", "descriptor", "--data", data.toString(),
                    "--remove-endpoint", "198.51.100.7:443");
            assertThat(removed.out().lines().toList()).containsExactly("doh https://dns.example/dns-query");

            Cli.Result badDoh = Cli.run("server", "descriptor", "--data", data.toString(), "--add-doh", "http://plain");
            assertThat(badDoh.exitCode()).isEqualTo(1);
            assertThat(badDoh.err()).contains("https://");
            Cli.Result badRelay = Cli.run("server", "descriptor", "--data", data.toString(), "--add-relay", "nonsense");
            assertThat(badRelay.exitCode()).isEqualTo(1);
            assertThat(badRelay.err()).contains("relay link");

            Cli.Result turn = Cli.run("server", "descriptor", "--data", data.toString(),
                    "--add-turn", "turns:turn.example:443?transport=tcp");
            assertThat(turn.exitCode()).as(turn.err()).isZero();
            assertThat(turn.out().lines().toList()).contains("turn turns:turn.example:443?transport=tcp");
            assertThat(data.resolve("turn-secret")).as("made for coturn to share").isRegularFile();
            for (String bad : List.of("http://turn.example", "turn:turn.example", "turn:a b:3478",
                    "turn:turn.example:3478?transport=sctp")) {
                Cli.Result badTurn = Cli.run("server", "descriptor", "--data", data.toString(), "--add-turn", bad);
                assertThat(badTurn.exitCode()).as(bad).isEqualTo(1);
                assertThat(badTurn.err()).as(bad).contains("turn:HOST:3478?transport=udp");
            }
            Cli.Result everywhere = Cli.run("server", "turn", "--data", data.toString(), "--listen", "0.0.0.0:3478");
            assertThat(everywhere.exitCode()).isEqualTo(1);
            assertThat(everywhere.err()).contains("--advertise");
            Cli.Result badPorts = Cli.run("server", "turn", "--data", data.toString(), "--listen", "127.0.0.1:3478",
                    "--ports", "80-90");
            assertThat(badPorts.exitCode()).isEqualTo(1);
            assertThat(badPorts.err()).contains("1024-65535");
            Cli.Result set = Cli.run("server", "turn", "--data", data.toString(), "--listen", "0.0.0.0:3478",
                    "--advertise", "turn.example");
            assertThat(set.exitCode()).as(set.err()).isZero();
            String coturnConfig = java.nio.file.Files.readString(data.resolve("turnserver.conf"));
            assertThat(coturnConfig).contains("use-auth-secret", "static-auth-secret="
                    + java.nio.file.Files.readString(data.resolve("turn-secret")).strip(), "log-file=/dev/null",
                    "denied-peer-ip=10.0.0.0-10.255.255.255", "denied-peer-ip=127.0.0.0-127.255.255.255");
            assertThat(coturnConfig).doesNotContain("allow-loopback-peers");
            assertThat(java.nio.file.Files.readString(data.resolve("descriptor.conf")))
                    .contains("turn turn:turn.example:3478?transport=udp", "turn turn:turn.example:3478?transport=tcp");
        }
    }

    @Test
    void probeReportsEachAddressForPeopleAndForScripts() throws Exception {
        try (ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs")).start()) {
            Cli.Result json = Cli.run("-o", "json", "probe", server.inviteLink());
            assertThat(json.exitCode()).as(json.err()).isZero();
            JsonNode result = JSON.readTree(json.out());
            JsonNode endpoint = result.get("endpoints").get(0);
            assertThat(endpoint.get("endpoint").asText()).isEqualTo("127.0.0.1:" + server.port());
            assertThat(endpoint.get("verdict").asText()).isEqualTo("ok");
            assertThat(endpoint.get("steps")).extracting(s -> s.get("step").asText())
                    .contains("dns", "tcp_connect", "tls_handshake_no_sni", "websocket_upgrade", "transfer");
            JsonNode route = result.get("routes").get(0);
            assertThat(route.get("route").asText()).isEqualTo("direct 127.0.0.1:" + server.port());
            assertThat(route.get("kind").asText()).isEqualTo("direct");
            assertThat(route.get("verdict").asText()).isEqualTo("ok");
            assertThat(route.get("failure").isNull()).isTrue();
            JsonNode transfer = route.get("steps").get(route.get("steps").size() - 1).get("transfer");
            assertThat(transfer.get("complete").asBoolean()).isTrue();
            assertThat(transfer.get("requestedBytes").asInt()).isEqualTo(64 * 1024);
            assertThat(transfer.get("kbps").asLong()).isPositive();
            assertThat(result.get("recommendedRoute").asText()).isEqualTo("direct 127.0.0.1:" + server.port());
            assertThat(result.get("preferredRouteStored").asBoolean()).as("no account here").isFalse();

            Cli.Result table = Cli.run("probe", server.inviteLink());
            assertThat(table.out()).contains("VERDICT").contains("127.0.0.1:" + server.port()).contains("ok")
                    .contains("Recommended route: direct 127.0.0.1:" + server.port());

            server.kill();
            Cli.Result down = Cli.run("-o", "json", "probe", server.inviteLink());
            assertThat(down.exitCode()).isEqualTo(3);
            JsonNode blocked = JSON.readTree(down.out());
            assertThat(blocked.get("endpoints").get(0).get("verdict").asText()).isEqualTo("tcp_ip");
            assertThat(blocked.get("endpoints").get(0).toString()).contains("connection_refused");
            assertThat(blocked.get("routes").get(0).get("failure").asText()).isEqualTo("connection_refused");
            assertThat(blocked.get("recommendedRoute").isNull()).isTrue();
            assertThat(Cli.run("probe", server.inviteLink()).out()).contains("No route works from here.");
        }
    }

    /**
     * The first address clients try lets connections open but freezes them after 32 KB (an
     * iptables connbytes rule), so the client would happily start there; the probe finds it
     * throttled, stores the second address as the route to start with, and the next connection uses it.
     */
    @Test
    void probeStoresTheFirstWorkingRouteAndTheNextConnectionStartsWithIt() throws Exception {
        int port = ServerProcess.freePort();
        try (CensoringProxy frozen = new CensoringProxy(new InetSocketAddress("127.0.0.1", port),
                new CensoringProxy.FreezeAfter(32 * 1024));
             ServerProcess server = new ServerProcess(temp.resolve("server"), temp.resolve("logs"), port,
                     "--advertise", "127.0.0.1:" + frozen.port(), "--advertise", "127.0.0.1:" + port).start()) {
            Path alice = temp.resolve("alice");
            Cli.Result registered = Cli.run("-d", alice.toString(), "register", "--server", server.inviteLink(),
                    "--username", "alice.55");
            assertThat(registered.exitCode()).as(registered.err()).isZero();

            Cli.Result probe = Cli.run("-d", alice.toString(), "-o", "json", "probe");
            assertThat(probe.exitCode()).as(probe.err()).isZero();
            JsonNode result = JSON.readTree(probe.out());
            JsonNode throttled = result.get("routes").get(0);
            assertThat(throttled.get("route").asText()).isEqualTo("direct 127.0.0.1:" + frozen.port());
            assertThat(throttled.get("verdict").asText()).isEqualTo("throttling");
            assertThat(throttled.get("failedStep").asText()).isEqualTo("transfer");
            assertThat(result.get("recommendedRoute").asText()).isEqualTo("direct 127.0.0.1:" + port);
            assertThat(result.get("preferredRouteStored").asBoolean()).isTrue();

            try (SvyazClient client = SvyazClient.open(alice.resolve("alice.55"), Clock.systemUTC())) {
                assertThat(client.preferredRoute()).contains("direct 127.0.0.1:" + port);
            }
            Cli.Result status = Cli.run("-d", alice.toString(), "-o", "json", "status");
            assertThat(status.exitCode()).as(status.err()).isZero();
            assertThat(JSON.readTree(status.out()).get("route").asText()).isEqualTo("direct 127.0.0.1:" + port);
        }
    }

    private static List<JsonNode> jsonLines(String out) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                nodes.add(JSON.readTree(line));
            }
        }
        return nodes;
    }

    private static String safetyNumber(Cli.Result result) throws Exception {
        assertThat(result.exitCode()).as(result.err()).isZero();
        // List commands print one JSON array.
        return jsonLines(result.out()).getFirst().get(0).get("safetyNumber").asText();
    }
}
