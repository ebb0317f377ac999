// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.ConversationMessage;
import org.svyaz.client.api.Quote;
import org.svyaz.client.api.QuoteTarget;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ReceivedSignal;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.net.ServerConnection;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.OutgoingMessage;
import org.svyaz.protocol.wire.PreKeyBundleRequest;
import org.svyaz.protocol.wire.PreKeyBundleResponse;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.server.SvyazServer;

/**
 * Receipts, typing, reactions, quotes, edits and deletes for everyone: each travels end to end
 * encrypted, is shown once by receive, and is applied to the recipient's store (read back here
 * through {@link SvyazClient#conversation}); bad ones change nothing.
 */
class SignalsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final long GARBAGE_TIMESTAMP = 1_000;

    @TempDir
    Path temp;

    @Test
    void eachSignalArrivesAndIsAppliedInTheRecipientsStore() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.11", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.22", Clock.systemUTC())) {
            Path aliceDir = temp.resolve("a").resolve(alice.username());
            Path bobDir = temp.resolve("b").resolve(bob.username());
            long hello = alice.send("bob.22", "hello bob").timestamp();
            long second = alice.send("bob.22", "second").timestamp();

            // Delivery receipts: Bob's receive sends them for what it stored, without being asked.
            receiveUntil(bob, body("second"));
            List<ReceivedMessage> receipts = receiveUntil(alice, covers(ReceiptType.DELIVERY, hello, second));
            assertThat(receipts).allSatisfy(m -> assertThat(m.signal()).containsInstanceOf(ReceivedSignal.Receipt.class));
            assertThat(receipts).allSatisfy(m -> assertThat(m.notApplied()).isEmpty());
            assertThat(sent(alice, "bob.22", hello).deliveredAt()).isPresent();
            assertThat(sent(alice, "bob.22", hello).readAt()).isEmpty();
            assertThat(sent(alice, "bob.22", second).deliveredAt()).isPresent();

            // Read receipt, sent by the user for one of the two.
            bob.sendReceipt("alice.11", ReceiptType.READ, List.of(hello));
            receiveUntil(alice, covers(ReceiptType.READ, hello));
            assertThat(sent(alice, "bob.22", hello).readAt()).isPresent();
            assertThat(sent(alice, "bob.22", second).readAt()).isEmpty();

            // Typing: shown, never stored as a message.
            int messagesBefore = alice.conversation("bob.22").size();
            bob.sendTyping("alice.11", false);
            bob.sendTyping("alice.11", true);
            List<ReceivedMessage> typing = receiveUntil(alice, m -> m.signal()
                    .filter(s -> s instanceof ReceivedSignal.Typing t && !t.started()).isPresent());
            assertThat(typing).filteredOn(isSignal(ReceivedSignal.Typing.class))
                    .extracting(m -> ((ReceivedSignal.Typing) m.signal().orElseThrow()).started())
                    .containsExactly(true, false);
            assertThat(alice.conversation("bob.22")).hasSize(messagesBefore);

            // Reactions: set, replaced by the reactor's next one, withdrawn.
            bob.sendReaction("alice.11", "👍", "alice.11", hello, false);
            ReceivedMessage reaction = receiveUntil(alice, isSignal(ReceivedSignal.Reaction.class)).getLast();
            assertThat(reaction.signal()).contains(new ReceivedSignal.Reaction("👍", alice.accountId(), hello, false, Optional.empty()));
            assertThat(sent(alice, "bob.22", hello).reactions()).containsExactly(java.util.Map.entry(bob.accountId(), "👍"));
            assertThat(received(bob, "alice.11", hello).reactions()).as("the reactor's own copy")
                    .containsExactly(java.util.Map.entry(bob.accountId(), "👍"));
            bob.sendReaction("alice.11", "❤️", "alice.11", hello, false);
            receiveUntil(alice, isSignal(ReceivedSignal.Reaction.class));
            assertThat(sent(alice, "bob.22", hello).reactions()).containsExactly(java.util.Map.entry(bob.accountId(), "❤️"));
            bob.sendReaction("alice.11", "❤️", "alice.11", hello, true);
            assertThat(receiveUntil(alice, isSignal(ReceivedSignal.Reaction.class)).getLast().signal())
                    .contains(new ReceivedSignal.Reaction("❤️", alice.accountId(), hello, true, Optional.empty()));
            assertThat(sent(alice, "bob.22", hello).reactions()).isEmpty();

            // A reply quoting Alice's first message; the author is found by the timestamp.
            long reply = bob.send("alice.11", "yes, hello", List.of(), Optional.of(new QuoteTarget(hello,
                    Optional.empty()))).timestamp();
            ReceivedMessage quoting = receiveUntil(alice, body("yes, hello")).getLast();
            assertThat(quoting.quote()).hasValueSatisfying(q -> {
                assertThat(q.id()).isEqualTo(hello);
                assertThat(q.author()).isEqualTo(alice.accountId());
                assertThat(q.text()).isEqualTo("hello bob");
            });
            assertThat(received(alice, "bob.22", reply).quote()).isPresent();

            // Alice edits her second message: Bob's copy and her own change.
            alice.editMessage("bob.22", second, "second, edited");
            ReceivedMessage edit = receiveUntil(bob, isSignal(ReceivedSignal.Edit.class)).getLast();
            assertThat(edit.signal()).hasValueSatisfying(s -> {
                ReceivedSignal.Edit e = (ReceivedSignal.Edit) s;
                assertThat(e.targetSentTimestamp()).isEqualTo(second);
                assertThat(e.body()).isEqualTo("second, edited");
            });
            assertThat(edit.notApplied()).isEmpty();
            assertThat(received(bob, "alice.11", second).body()).contains("second, edited");
            assertThat(received(bob, "alice.11", second).editedAt()).isPresent();
            assertThat(sent(alice, "bob.22", second).body()).contains("second, edited");

            // Alice deletes her first message for everyone: gone from Bob's files, from hers, and
            // from the quote in Bob's reply on her side.
            assertThat(filesContaining(bobDir, "hello bob")).isNotEmpty();
            alice.remoteDelete("bob.22", hello);
            ReceivedMessage delete = receiveUntil(bob, isSignal(ReceivedSignal.RemoteDelete.class)).getLast();
            assertThat(delete.signal()).contains(new ReceivedSignal.RemoteDelete(hello, Optional.empty()));
            assertThat(delete.notApplied()).isEmpty();
            ConversationMessage deleted = received(bob, "alice.11", hello);
            assertThat(deleted.remoteDeleted()).isTrue();
            assertThat(deleted.body()).isEmpty();
            assertThat(sent(alice, "bob.22", hello).remoteDeleted()).isTrue();
            assertThat(received(alice, "bob.22", reply).quote()).hasValueSatisfying(q -> assertThat(q.text()).isEmpty());
            assertThat(filesContaining(bobDir, "hello bob")).as("overwritten in Bob's files").isEmpty();
            assertThat(filesContaining(aliceDir, "hello bob")).as("and in Alice's").isEmpty();
        }
    }

    @Test
    void aSentReplyKeepsItsQuoteWhenTheAccountIsOpenedAgain() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.41", Clock.systemUTC())) {
            SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.42", Clock.systemUTC());
            Path bobDir = temp.resolve("b").resolve(bob.username());
            long hello = alice.send("bob.42", "hello bob").timestamp();
            receiveUntil(bob, body("hello bob"));
            long reply = bob.send("alice.41", "yes, hello", List.of(), Optional.of(new QuoteTarget(hello,
                    Optional.empty()))).timestamp();
            Quote quoted = new Quote(hello, alice.accountId(), "hello bob");
            assertThat(sent(bob, "alice.41", reply).quote()).contains(quoted);
            bob.close();
            try (SvyazClient reopened = SvyazClient.open(bobDir, Clock.systemUTC())) {
                assertThat(sent(reopened, "alice.41", reply).quote()).contains(quoted);
            }
        }
    }

    @Test
    void badSignalsAreRefusedBeforeSendingOrChangeNothingWhereTheyArrive() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.31", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.32", Clock.systemUTC());
             SvyazClient carol = SvyazClient.register(temp.resolve("c"), server.inviteLink(), "carol.33", Clock.systemUTC())) {
            long original = alice.send("bob.32", "original").timestamp();
            receiveUntil(bob, body("original"));
            long bobs = bob.send("alice.31", "mine").timestamp();
            receiveUntil(alice, body("mine"));

            // Refused on Bob's device: nothing is sent.
            for (String notOneEmoji : List.of("", "👍👍", "ab", "1", "#", "👍x")) {
                assertThatThrownBy(() -> bob.sendReaction("alice.31", notOneEmoji, "alice.31", original, false))
                        .as("'%s'", notOneEmoji).isInstanceOf(UserInputException.class);
            }
            assertThatThrownBy(() -> bob.sendReaction("alice.31", "👍", "carol.33", original, false))
                    .as("a message of another conversation").isInstanceOf(UserInputException.class);
            assertThatThrownBy(() -> bob.sendReceipt("alice.31", ReceiptType.READ, List.of(original + 1)))
                    .as("no such message from Alice").isInstanceOf(UserInputException.class);
            assertThatThrownBy(() -> bob.editMessage("alice.31", bobs, " "))
                    .isInstanceOf(UserInputException.class);
            assertThatThrownBy(() -> bob.send("alice.31", "re", List.of(), Optional.of(new QuoteTarget(12345,
                    Optional.empty())))).as("nothing to quote").isInstanceOf(UserInputException.class);
            assertThatThrownBy(() -> bob.remoteDelete("alice.31", 0)).isInstanceOf(UserInputException.class);

            // Checked on Alice's device: each arrives, is shown with the reason, and changes nothing.
            bob.editMessage("alice.31", original, "Bob rewrote Alice");
            bob.remoteDelete("alice.31", original);
            bob.editMessage("alice.31", 12345, "no such message");
            bob.remoteDelete("alice.31", 12345);
            bob.sendReaction("alice.31", "👍", "alice.31", 12345, false);
            bob.send("alice.31", "done");
            List<ReceivedMessage> atAlice = receiveUntil(alice, body("done"));
            List<ReceivedMessage> signals = atAlice.stream().filter(m -> m.signal().isPresent()
                    && !(m.signal().get() instanceof ReceivedSignal.Receipt)).toList();
            assertThat(signals).hasSize(5).allSatisfy(m -> assertThat(m.notApplied()).isPresent());
            assertThat(signals.get(0).notApplied().orElseThrow()).contains("author");
            assertThat(signals.get(1).notApplied().orElseThrow()).contains("author");
            assertThat(signals.subList(2, 5)).allSatisfy(m -> assertThat(m.notApplied().orElseThrow()).contains("12345"));
            assertThat(atAlice).noneMatch(m -> m.signal().filter(s -> s instanceof ReceivedSignal.Receipt)
                    .flatMap(s -> m.notApplied()).isPresent());
            ConversationMessage kept = sent(alice, "bob.32", original);
            assertThat(kept.body()).contains("original");
            assertThat(kept.remoteDeleted()).isFalse();
            assertThat(kept.editedAt()).isEmpty();
            assertThat(alice.conversation("bob.32")).allSatisfy(m -> assertThat(m.reactions()).isEmpty());
            assertThat(received(bob, "alice.31", original).body()).as("Bob's own copy is Alice's too")
                    .contains("original");
        }
    }

    @Test
    void receiptsAreNotAnsweredAndUndecryptableMessagesGetNone() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.41", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.42", Clock.systemUTC())) {
            // Garbage from Alice's device: Bob cannot decrypt it.
            try (ServerConnection raw = ServerConnection.connect(server.inviteLink(),
                    Optional.of(TestAccounts.credentials(temp.resolve("a").resolve(alice.username()))),
                    push -> Response.newBuilder().setError(ErrorCode.UNAVAILABLE).build(), TIMEOUT)) {
                PreKeyBundleResponse bundle = PreKeyBundleResponse.parseFrom(raw.call(ApiPaths.KEYS_BUNDLE,
                        PreKeyBundleRequest.newBuilder().setAccountId(Uuids.toByteString(bob.accountId())).build(),
                        TIMEOUT).getBody());
                Response sent = raw.call(ApiPaths.MESSAGES_SEND, SendRequest.newBuilder()
                        .setDestination(Uuids.toByteString(bob.accountId()))
                        .setTimestamp(GARBAGE_TIMESTAMP)
                        .addMessages(OutgoingMessage.newBuilder()
                                .setDeviceId(bundle.getDevices(0).getDeviceId())
                                .setRegistrationId(bundle.getDevices(0).getRegistrationId())
                                .setType(EnvelopeType.CIPHERTEXT)
                                .setContent(ByteString.copyFrom("not a signal message", StandardCharsets.UTF_8)))
                        .build(), TIMEOUT);
                assertThat(sent.getError()).as(sent.getMessage()).isEqualTo(ErrorCode.OK);
            }
            long hello = alice.send("bob.42", "hello").timestamp();
            List<ReceivedMessage> atBob = receiveUntil(bob, body("hello"));
            assertThat(atBob).first().satisfies(m -> assertThat(m.error()).isPresent());

            // Alice's receipts name only the message Bob could read, and she answers none of them.
            List<ReceivedMessage> receipts = receiveUntil(alice, covers(ReceiptType.DELIVERY, hello));
            assertThat(receipts).allSatisfy(m -> assertThat(((ReceivedSignal.Receipt) m.signal().orElseThrow())
                    .timestamps()).containsOnly(hello));
            alice.send("bob.42", "marker");
            List<ReceivedMessage> after = receiveUntil(bob, body("marker"));
            assertThat(after).as("no receipt for a receipt").extracting(m -> m.body().orElse("signal"))
                    .containsExactly("marker");
        }
    }

    /** A receipt of {@code type} naming all of {@code timestamps} (several receipts may share them). */
    private static Predicate<ReceivedMessage> covers(ReceiptType type, long... timestamps) {
        java.util.Set<Long> seen = new java.util.HashSet<>();
        return m -> {
            if (m.signal().orElse(null) instanceof ReceivedSignal.Receipt r && r.type() == type) {
                seen.addAll(r.timestamps());
            }
            return java.util.Arrays.stream(timestamps).allMatch(seen::contains);
        };
    }

    private static Predicate<ReceivedMessage> isSignal(Class<? extends ReceivedSignal> kind) {
        return m -> m.signal().filter(kind::isInstance).isPresent();
    }

    private static ConversationMessage sent(SvyazClient client, String contact, long timestamp) throws Exception {
        return client.conversation(contact).stream().filter(m -> m.outgoing() && m.timestamp() == timestamp)
                .findFirst().orElseThrow();
    }

    private static ConversationMessage received(SvyazClient client, String contact, long timestamp) throws Exception {
        return client.conversation(contact).stream().filter(m -> !m.outgoing() && m.timestamp() == timestamp)
                .findFirst().orElseThrow();
    }

    private static List<Path> filesContaining(Path dir, String text) throws Exception {
        String needle = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).filter(file -> {
                try {
                    return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(needle);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }
}
