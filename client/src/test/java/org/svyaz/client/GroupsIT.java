// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.svyaz.client.TestAccounts.body;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.signal.libsignal.internal.Native;
import org.signal.libsignal.metadata.protocol.UnidentifiedSenderMessageContent;
import org.signal.libsignal.protocol.DuplicateMessageException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.ConversationMessage;
import org.svyaz.client.api.GroupAccessException;
import org.svyaz.client.api.GroupDetails;
import org.svyaz.client.api.Quote;
import org.svyaz.client.api.QuoteTarget;
import org.svyaz.client.api.ReceiptType;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ReceivedSignal;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.groups.GroupId;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.GroupStore;
import org.svyaz.client.store.LocalSignals;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.SvyazServer;

/**
 * Groups end to end: a real server, real clients, sender keys and one multi-recipient request per
 * group message.
 */
class GroupsIT {
    private static final int MEMBERS = 50;

    @TempDir
    Path temp;

    private SvyazServer startWithMetrics(Path data) throws Exception {
        ServerConfig config = TestServer.config(data).withAdmin(Optional.of(new InetSocketAddress("127.0.0.1", 0)));
        return SvyazServer.start(config);
    }

    @Test
    void fiftyMembersEachGetAMessageOnceFromOneRequestAndARemovedMemberCannotReadTheNext() throws Exception {
        Path data = temp.resolve("server");
        List<SvyazClient> clients = new ArrayList<>();
        try (SvyazServer server = startWithMetrics(data)) {
            try {
                for (int i = 0; i < MEMBERS; i++) {
                    clients.add(SvyazClient.register(temp.resolve("accounts"), server.inviteLink(),
                            "member." + (10 + i), Clock.systemUTC()));
                }
                SvyazClient admin = clients.getFirst();
                List<SvyazClient> others = clients.subList(1, MEMBERS);
                String groupId = admin.createGroup("fifty friends",
                        others.stream().map(SvyazClient::username).toList());

                for (SvyazClient member : others) {
                    List<ReceivedMessage> got = receiveUntil(member, m -> m.group().isPresent());
                    assertThat(got).last().satisfies(m -> {
                        assertThat(m.group().get().id()).isEqualTo(groupId);
                        assertThat(m.group().get().title()).isEqualTo("fifty friends");
                        assertThat(m.group().get().update()).isTrue();
                        assertThat(m.sourceAccount()).isEqualTo(admin.accountId());
                    });
                    GroupDetails known = member.listGroups().getFirst();
                    assertThat(known.members()).hasSize(MEMBERS);
                    assertThat(known.admin()).isFalse();
                }

                // Every member holds the admin's sender key now: one message is one request.
                Metrics before = Metrics.scrape(server);
                admin.sendToGroup(groupId, "hello all fifty", List.of());
                Metrics after = Metrics.scrape(server);
                assertThat(after.multiRecipientSends() - before.multiRecipientSends())
                        .as("multi-recipient requests for one group message").isEqualTo(1);
                assertThat(after.singleSends() - before.singleSends())
                        .as("one-to-one sends for one group message").isZero();

                for (SvyazClient member : others) {
                    List<ReceivedMessage> got = receiveUntil(member, body("hello all fifty"));
                    assertThat(got.stream().filter(body("hello all fifty"))).hasSize(1);
                    assertThat(got).last().satisfies(m -> {
                        assertThat(m.group().get().id()).isEqualTo(groupId);
                        assertThat(m.group().get().update()).isFalse();
                        assertThat(m.source()).isEqualTo(admin.username());
                    });
                }
                for (SvyazClient member : others.subList(0, 3)) {
                    List<ReceivedMessage> more = new ArrayList<>();
                    member.receive(Duration.ofMillis(500), 10, more::add);
                    assertThat(more).as("nothing shown twice").isEmpty();
                }

                // A member who is not an admin writes to the group too.
                SvyazClient writer = others.get(1);
                writer.sendToGroup(groupId, "a member writes", List.of());
                assertThat(receiveUntil(admin, body("a member writes"))).last()
                        .satisfies(m -> assertThat(m.group().get().id()).isEqualTo(groupId));
                assertThat(receiveUntil(others.get(2), body("a member writes"))).last()
                        .satisfies(m -> assertThat(m.source()).isEqualTo(writer.username()));

                // Remove the last member; they learn it and the group is no longer theirs.
                SvyazClient removed = others.getLast();
                admin.updateGroup(groupId, Optional.empty(), List.of(), List.of(removed.username()), List.of(), List.of());
                assertThat(receiveUntil(removed, m -> m.group().isPresent() && m.group().get().update())).isNotEmpty();
                assertThat(removed.listGroups().getFirst().member()).isFalse();
                assertThat(removed.listGroups().getFirst().members()).hasSize(MEMBERS - 1);
                assertThatThrownBy(() -> removed.sendToGroup(groupId, "still here?", List.of()))
                        .isInstanceOf(GroupAccessException.class);

                // The next message: a remaining member keeps it waiting on the server, so we can
                // look at it as a removed member who colludes with that member or the server would.
                SvyazClient keeper = others.getFirst();
                receiveUntil(keeper, m -> m.group().isPresent() && m.group().get().update());
                Path keeperDir = temp.resolve("accounts").resolve(keeper.username());
                Path removedDir = temp.resolve("accounts").resolve(removed.username());
                UUID keeperId = keeper.accountId();
                keeper.close();
                admin.sendToGroup(groupId, "after the removal", List.of());

                List<ReceivedMessage> atRemoved = new ArrayList<>();
                removed.receive(Duration.ofSeconds(2), 10, atRemoved::add);
                assertThat(atRemoved).as("the server did not send it to the removed member").isEmpty();
                removed.close();

                byte[] waiting = Envelope.parseFrom(Mailbox.envelopes(data, keeperId).getLast()).getContent().toByteArray();
                try (SvyazClient keeperAgain = SvyazClient.open(keeperDir, Clock.systemUTC())) {
                    assertThat(receiveUntil(keeperAgain, body("after the removal"))).last()
                            .satisfies(m -> assertThat(m.group().get().id()).isEqualTo(groupId));
                }
                SignalProtocolAddress adminAddress = new SignalProtocolAddress(admin.accountId().toString(), 1);
                byte[] senderKeyMessage;
                try (AccountDatabase db = AccountDatabase.open(keeperDir.resolve(SvyazClient.ACCOUNT_FILE))) {
                    // The outer layer is sealed to the keeper's identity key; a colluding keeper opens it.
                    SqliteSignalStore keeperStore = new SqliteSignalStore(db, Clock.systemUTC());
                    senderKeyMessage = new UnidentifiedSenderMessageContent(
                            Native.SealedSessionCipher_DecryptToUsmc(waiting, keeperStore)).getContent();
                    // The keeper holds the key (it already used it for this very message).
                    assertThatThrownBy(() -> new GroupCipher(keeperStore, adminAddress).decrypt(senderKeyMessage))
                            .isInstanceOf(DuplicateMessageException.class);
                }
                try (AccountDatabase db = AccountDatabase.open(removedDir.resolve(SvyazClient.ACCOUNT_FILE))) {
                    SqliteSignalStore removedStore = new SqliteSignalStore(db, Clock.systemUTC());
                    assertThatThrownBy(() -> new GroupCipher(removedStore, adminAddress).decrypt(senderKeyMessage))
                            .as("the removed member holds no key for messages after the removal")
                            .isInstanceOf(NoSessionException.class);
                }
            } finally {
                for (SvyazClient client : clients) {
                    client.close();
                }
            }
        }
    }

    @Test
    void membersReactToEachOthersGroupMessagesAndAnOutsiderCannot() throws Exception {
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.71", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.72", Clock.systemUTC());
             SvyazClient eve = SvyazClient.register(temp.resolve("e"), server.inviteLink(), "eve.73", Clock.systemUTC())) {
            String groupId = alice.createGroup("pair", List.of("bob.72"));
            TestAccounts.receiveUntil(bob, m -> m.group().isPresent());
            long hello = alice.sendToGroup(groupId, "hello group", List.of()).timestamp();
            TestAccounts.receiveUntil(bob, TestAccounts.body("hello group"));

            bob.sendGroupReaction(groupId, "👍", "alice.71", hello, false);
            alice.sendGroupReaction(groupId, "❤️", "alice.71", hello, false);
            TestAccounts.receiveUntil(alice, m -> reactionsOnLast(alice, groupId) == 2);
            assertThat(alice.groupConversation(groupId).getLast().reactions())
                    .containsEntry(bob.accountId(), "👍").containsEntry(alice.accountId(), "❤️");
            TestAccounts.receiveUntil(bob, m -> reactionsOnLast(bob, groupId) == 2);

            bob.sendGroupReaction(groupId, "👍", "alice.71", hello, true);
            TestAccounts.receiveUntil(alice, m -> reactionsOnLast(alice, groupId) == 1);
            assertThat(alice.groupConversation(groupId).getLast().reactions()).containsOnlyKeys(alice.accountId());

            assertThatThrownBy(() -> bob.sendGroupReaction(groupId, "👍", "alice.71", hello + 1, false))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("No message of this group");
            assertThatThrownBy(() -> eve.sendGroupReaction(groupId, "👍", "alice.71", hello, false))
                    .isInstanceOf(ClientException.class);
        }
    }

    @Test
    void membersQuoteEditAndDeleteInAGroupOnlyTheirOwnAndOnlyWhileMembers() throws Exception {
        Path accounts = temp.resolve("accounts");
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(accounts, server.inviteLink(), "alice.81", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(accounts, server.inviteLink(), "bob.82", Clock.systemUTC());
             SvyazClient carol = SvyazClient.register(accounts, server.inviteLink(), "carol.83", Clock.systemUTC())) {
            String groupId = alice.createGroup("three", List.of("bob.82", "carol.83"));
            receiveUntil(bob, m -> m.group().isPresent());
            receiveUntil(carol, m -> m.group().isPresent());
            long hello = alice.sendToGroup(groupId, "hello group", List.of()).timestamp();
            long carols = carol.sendToGroup(groupId, "carol's words", List.of()).timestamp();
            receiveUntil(bob, body("carol's words"));
            receiveUntil(alice, body("carol's words"));
            receiveUntil(carol, body("hello group"));

            // Bob replies to Alice's message: Alice and Carol store the quote in the group's conversation.
            long reply = bob.sendToGroup(groupId, "a reply", List.of(),
                    Optional.of(new QuoteTarget(hello, Optional.of("alice.81"))), false).timestamp();
            Quote quoted = new Quote(hello, alice.accountId(), "hello group");
            for (SvyazClient member : List.of(alice, carol)) {
                ReceivedMessage got = receiveUntil(member, body("a reply")).getLast();
                assertThat(got.quote()).contains(quoted);
                assertThat(got.group().orElseThrow().id()).isEqualTo(groupId);
                assertThat(inGroup(member, groupId, bob.accountId(), reply).quote()).contains(quoted);
            }
            assertThatThrownBy(() -> bob.sendToGroup(groupId, "x", List.of(),
                    Optional.of(new QuoteTarget(hello, Optional.of("carol.83"))), false))
                    .as("Carol sent nothing at that time").isInstanceOf(UserInputException.class);

            // Alice edits her message: the others get the edit with the group and store the new text.
            long edited = alice.editGroupMessage(groupId, hello, "hello, group").timestamp();
            for (SvyazClient member : List.of(bob, carol)) {
                ReceivedMessage got = receiveUntil(member, isSignal(ReceivedSignal.Edit.class)).getLast();
                assertThat(got.signal()).contains(new ReceivedSignal.Edit(hello, edited, "hello, group",
                        Optional.of(groupId)));
                assertThat(got.notApplied()).isEmpty();
                ConversationMessage message = inGroup(member, groupId, alice.accountId(), hello);
                assertThat(message.body()).contains("hello, group");
                assertThat(message.editedAt()).contains(edited);
            }
            assertThat(inGroup(alice, groupId, alice.accountId(), hello).editedAt()).contains(edited);

            // Bob deletes his reply for everyone: gone at Alice and Carol, and here.
            bob.remoteDeleteInGroup(groupId, reply);
            for (SvyazClient member : List.of(alice, carol)) {
                ReceivedMessage got = receiveUntil(member, isSignal(ReceivedSignal.RemoteDelete.class)).getLast();
                assertThat(got.signal()).contains(new ReceivedSignal.RemoteDelete(reply, Optional.of(groupId)));
                assertThat(got.notApplied()).isEmpty();
                ConversationMessage message = inGroup(member, groupId, bob.accountId(), reply);
                assertThat(message.remoteDeleted()).isTrue();
                assertThat(message.body()).isEmpty();
            }
            assertThat(inGroup(bob, groupId, bob.accountId(), reply).remoteDeleted()).isTrue();
            assertThatThrownBy(() -> bob.editGroupMessage(groupId, hello, "mine now"))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("only your own");

            // Carol's client is tampered with to believe Alice's message is hers: her edit and delete
            // of it reach the others and change nothing there.
            try (AccountDatabase db = AccountDatabase.open(accounts.resolve("carol.83").resolve(SvyazClient.ACCOUNT_FILE))) {
                new LocalSignals(db).recordSentToGroup(GroupId.parse(groupId).bytes(), hello, "hello group", List.of(),
                        Optional.empty(), List.of(), System.currentTimeMillis());
            }
            carol.editGroupMessage(groupId, hello, "forged");
            carol.remoteDeleteInGroup(groupId, hello);
            for (SvyazClient member : List.of(alice, bob)) {
                List<ReceivedMessage> got = receiveUntil(member, isSignal(ReceivedSignal.RemoteDelete.class));
                assertThat(got).filteredOn(isSignal(ReceivedSignal.Edit.class).or(isSignal(ReceivedSignal.RemoteDelete.class)))
                        .hasSize(2).allSatisfy(m -> assertThat(m.notApplied()).isPresent());
                ConversationMessage message = inGroup(member, groupId, alice.accountId(), hello);
                assertThat(message.body()).contains("hello, group");
                assertThat(message.remoteDeleted()).isFalse();
            }

            // Carol is removed. Alice's client, tampered with to send to her anyway, edits: Carol's
            // device, no longer in the group, ignores it.
            alice.updateGroup(groupId, Optional.empty(), List.of(), List.of("carol.83"), List.of(), List.of());
            receiveUntil(bob, m -> m.group().isPresent() && m.group().get().update());
            receiveUntil(carol, m -> m.group().isPresent() && m.group().get().update());
            Path aliceDir = accounts.resolve("alice.81");
            GroupStore.StoredGroup withoutCarol = storedGroup(aliceDir, groupId);
            forceMembership(aliceDir, carol, groupId);
            alice.editGroupMessage(groupId, hello, "hello, two of you");
            restore(aliceDir, withoutCarol);
            alice.send("carol.83", "after the edit");
            assertThat(receiveUntil(carol, body("after the edit"))).noneMatch(isSignal(ReceivedSignal.Edit.class));
            assertThat(inGroup(carol, groupId, alice.accountId(), hello).body()).contains("hello, group");
            receiveUntil(bob, isSignal(ReceivedSignal.Edit.class));

            // Carol's client, tampered with to believe she is still in, edits and deletes her own
            // message: the members drop both, as from a non-member.
            forceMembership(accounts.resolve("carol.83"), carol, groupId);
            carol.editGroupMessage(groupId, carols, "edited from outside");
            carol.remoteDeleteInGroup(groupId, carols);
            alice.sendToGroup(groupId, "members only", List.of());
            List<ReceivedMessage> atBob = receiveUntil(bob, body("members only"));
            assertThat(atBob).noneMatch(isSignal(ReceivedSignal.Edit.class).or(isSignal(ReceivedSignal.RemoteDelete.class)));
            ConversationMessage untouched = inGroup(bob, groupId, carol.accountId(), carols);
            assertThat(untouched.body()).contains("carol's words");
            assertThat(untouched.remoteDeleted()).isFalse();
            assertThat(untouched.editedAt()).isEmpty();
        }
    }

    @Test
    void groupMessagesShowDeliveredAndReadOnlyOnceEveryMemberDidAndMembersSeeEachOtherType() throws Exception {
        Path accounts = temp.resolve("accounts");
        try (SvyazServer server = SvyazServer.start(TestServer.config(temp.resolve("server")));
             SvyazClient alice = SvyazClient.register(accounts, server.inviteLink(), "alice.91", Clock.systemUTC());
             SvyazClient carol = SvyazClient.register(accounts, server.inviteLink(), "carol.93", Clock.systemUTC())) {
            SvyazClient bob = SvyazClient.register(accounts, server.inviteLink(), "bob.92", Clock.systemUTC());
            String groupId = alice.createGroup("three", List.of("bob.92", "carol.93"));
            receiveUntil(bob, m -> m.group().isPresent());
            receiveUntil(carol, m -> m.group().isPresent());
            long hello = alice.sendToGroup(groupId, "hello group", List.of()).timestamp();

            // Bob's receive sends Alice a delivery receipt: delivered to one of two is not delivered.
            receiveUntil(bob, body("hello group"));
            receiveUntil(alice, receiptFrom(bob, ReceiptType.DELIVERY, hello));
            assertThat(inGroup(alice, groupId, alice.accountId(), hello).deliveredAt()).isEmpty();
            receiveUntil(carol, body("hello group"));
            receiveUntil(alice, receiptFrom(carol, ReceiptType.DELIVERY, hello));
            ConversationMessage delivered = inGroup(alice, groupId, alice.accountId(), hello);
            assertThat(delivered.deliveredAt()).isPresent();
            assertThat(delivered.readAt()).isEmpty();

            // Read by Bob only is not read; Carol with read receipts off tells nobody.
            assertThat(bob.markReadInGroup(groupId, List.of(hello))).hasSize(1);
            receiveUntil(alice, receiptFrom(bob, ReceiptType.READ, hello));
            assertThat(inGroup(alice, groupId, alice.accountId(), hello).readAt()).isEmpty();
            assertThat(alice.groupReceiptStates(List.of(hello))).singleElement().satisfies(state -> {
                assertThat(state.groupId()).isEqualTo(groupId);
                assertThat(state.deliveredAt()).isPresent();
                assertThat(state.readAt()).isEmpty();
            });
            carol.setReadReceipts(false);
            assertThat(carol.markReadInGroup(groupId, List.of(hello))).isEmpty();
            assertThat(carol.groupSummary(groupId).orElseThrow().unread()).isZero();
            carol.setReadReceipts(true);
            assertThat(carol.markReadInGroup(groupId, List.of(hello))).hasSize(1);
            receiveUntil(alice, receiptFrom(carol, ReceiptType.READ, hello));
            assertThat(inGroup(alice, groupId, alice.accountId(), hello).readAt()).isPresent();
            assertThat(alice.groupReceiptStates(List.of(hello))).singleElement()
                    .satisfies(state -> assertThat(state.readAt()).isPresent());

            // Typing names the group; only the group's members are told.
            bob.sendTypingInGroup(groupId, false);
            ReceivedMessage typing = receiveUntil(alice, isSignal(ReceivedSignal.Typing.class)).getLast();
            assertThat(typing.sourceAccount()).isEqualTo(bob.accountId());
            assertThat(typing.signal()).hasValueSatisfying(signal -> {
                ReceivedSignal.Typing t = (ReceivedSignal.Typing) signal;
                assertThat(t.started()).isTrue();
                assertThat(t.groupId()).contains(groupId);
            });
            assertThat(receiveUntil(carol, isSignal(ReceivedSignal.Typing.class)).getLast().signal())
                    .hasValueSatisfying(signal -> assertThat(((ReceivedSignal.Typing) signal).groupId()).contains(groupId));

            // Bob's reply keeps its quote in his own conversation after his client is opened again.
            long reply = bob.sendToGroup(groupId, "a reply", List.of(),
                    Optional.of(new QuoteTarget(hello, Optional.of("alice.91"))), false).timestamp();
            Quote quoted = new Quote(hello, alice.accountId(), "hello group");
            assertThat(inGroup(bob, groupId, bob.accountId(), reply).quote()).contains(quoted);
            bob.close();
            try (SvyazClient reopened = SvyazClient.open(accounts.resolve("bob.92"), Clock.systemUTC())) {
                assertThat(inGroup(reopened, groupId, bob.accountId(), reply).quote()).contains(quoted);
            }
        }
    }

    /** A receipt of {@code type} from {@code member} naming {@code timestamp}. */
    private static Predicate<ReceivedMessage> receiptFrom(SvyazClient member, ReceiptType type, long timestamp) {
        return m -> m.sourceAccount().equals(member.accountId())
                && m.signal().orElse(null) instanceof ReceivedSignal.Receipt r
                && r.type() == type && r.timestamps().contains(timestamp);
    }

    private static Predicate<ReceivedMessage> isSignal(Class<? extends ReceivedSignal> kind) {
        return m -> m.signal().filter(kind::isInstance).isPresent();
    }

    /** The message {@code author} sent at {@code timestamp}, as the group's conversation on {@code client} has it. */
    private static ConversationMessage inGroup(SvyazClient client, String groupId, UUID author, long timestamp)
            throws ClientException {
        return client.groupConversation(groupId).stream()
                .filter(m -> m.author().equals(author) && m.timestamp() == timestamp)
                .findFirst().orElseThrow();
    }

    private static GroupStore.StoredGroup storedGroup(Path accountDir, String groupId) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(accountDir.resolve(SvyazClient.ACCOUNT_FILE))) {
            return new GroupStore(db).group(GroupId.parse(groupId).bytes()).orElseThrow();
        }
    }

    private static void restore(Path accountDir, GroupStore.StoredGroup group) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(accountDir.resolve(SvyazClient.ACCOUNT_FILE))) {
            new GroupStore(db).put(group);
        }
    }

    private static int reactionsOnLast(SvyazClient client, String groupId) {
        try {
            return client.groupConversation(groupId).getLast().reactions().size();
        } catch (ClientException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void badGroupInputGetsTypedErrorsAndNothingIsStoredThatShouldNotBe() throws Exception {
        Path data = temp.resolve("server");
        try (SvyazServer server = TestServer.start(data);
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.10", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.10", Clock.systemUTC());
             SvyazClient dora = SvyazClient.register(temp.resolve("d"), server.inviteLink(), "dora.10", Clock.systemUTC())) {
            assertThatThrownBy(() -> alice.sendToGroup(GroupId.random().toString(), "x", List.of()))
                    .isInstanceOf(GroupAccessException.class).hasMessageContaining("No group");
            assertThatThrownBy(() -> alice.sendToGroup("garbage!", "x", List.of()))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("not a group id");
            assertThatThrownBy(() -> alice.createGroup("ghosts", List.of("nobody.99")))
                    .isInstanceOf(org.svyaz.client.api.UnknownUserException.class);
            assertThatThrownBy(() -> alice.createGroup("  ", List.of("bob.10")))
                    .isInstanceOf(UserInputException.class);
            assertThat(alice.listGroups()).as("no group made by the failed attempts").isEmpty();

            String groupId = alice.createGroup("three", List.of("bob.10", "dora.10"));
            receiveUntil(bob, m -> m.group().isPresent());
            receiveUntil(dora, m -> m.group().isPresent());

            assertThatThrownBy(() -> bob.updateGroup(groupId, Optional.of("bob's now"), List.of(), List.of(),
                    List.of(), List.of())).isInstanceOf(GroupAccessException.class).hasMessageContaining("admins");
            assertThatThrownBy(() -> alice.quitGroup(groupId))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("only admin");

            // A replayed sender-key message (the server, or someone who copied it, delivers it again
            // under a new envelope id) is shown once.
            Path doraDir = temp.resolve("d").resolve(dora.username());
            UUID doraId = dora.accountId();
            dora.close();
            alice.sendToGroup(groupId, "only once", List.of());
            Mailbox.duplicateLast(data, doraId);
            try (SvyazClient doraAgain = SvyazClient.open(doraDir, Clock.systemUTC())) {
                List<ReceivedMessage> got = new ArrayList<>();
                doraAgain.receive(Duration.ofSeconds(2), 10, got::add);
                assertThat(got).extracting(m -> m.body().orElse("<" + m.error().orElse("none") + ">"))
                        .containsExactly("only once");
                assertThat(Mailbox.envelopes(data, doraId)).as("both copies were acknowledged").isEmpty();

                // Bob leaves; Alice and Dora apply it.
                receiveUntil(bob, body("only once"));
                bob.quitGroup(groupId);
                assertThat(receiveUntil(alice, m -> m.group().isPresent() && m.group().get().update())).isNotEmpty();
                assertThat(receiveUntil(doraAgain, m -> m.group().isPresent() && m.group().get().update())).isNotEmpty();
                assertThat(alice.listGroups().getFirst().members()).extracting(GroupDetails.Member::username)
                        .containsExactly("alice.10", "dora.10");
                assertThatThrownBy(() -> bob.sendToGroup(groupId, "let me back", List.of()))
                        .isInstanceOf(GroupAccessException.class);

                // Bob's client is tampered with to believe he is still in: what he sends is
                // dropped by the members, not shown.
                forceMembership(temp.resolve("b").resolve(bob.username()), bob, groupId);
                bob.sendToGroup(groupId, "sneaking in", List.of());
                alice.sendToGroup(groupId, "members only", List.of());
                List<ReceivedMessage> atDora = receiveUntil(doraAgain, body("members only"));
                assertThat(atDora).extracting(m -> m.body().orElse("")).doesNotContain("sneaking in");
                assertThat(atDora).allSatisfy(m -> assertThat(m.error()).isEmpty());
            }
        }
    }

    /**
     * Puts {@code removed} into the group again in the local store under {@code accountDir} (theirs
     * or another's), marked as a group this account is in, as a modified client would.
     */
    private static void forceMembership(Path accountDir, SvyazClient removed, String groupId) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(accountDir.resolve(SvyazClient.ACCOUNT_FILE))) {
            GroupStore groups = new GroupStore(db);
            GroupStore.StoredGroup stored = groups.group(GroupId.parse(groupId).bytes()).orElseThrow();
            groups.put(new GroupStore.StoredGroup(stored.state().toBuilder()
                    .addMembers(org.svyaz.protocol.content.GroupMember.newBuilder()
                            .setAccountId(Uuids.toByteString(removed.accountId())).setUsername(removed.username()))
                    .build(), stored.distributionId(), true));
        }
    }

    /** The server's request counters, read from its Prometheus endpoint as an operator would. */
    private record Metrics(double multiRecipientSends, double singleSends) {
        static Metrics scrape(SvyazServer server) throws Exception {
            InetSocketAddress admin = server.adminAddress().orElseThrow();
            String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + admin.getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            return new Metrics(
                    requests(text, ApiPaths.MESSAGES_SEND_MULTI) + requests(text, ApiPaths.MESSAGES_SEND_MULTI_SEALED),
                    requests(text, ApiPaths.MESSAGES_SEND) + requests(text, ApiPaths.MESSAGES_SEND_SEALED));
        }

        private static double requests(String metrics, String path) {
            double sum = 0;
            Matcher matcher = Pattern.compile("^svyaz_requests_total\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
                    .matcher(metrics);
            while (matcher.find()) {
                if (matcher.group(1).contains("path=\"" + path + "\"")) {
                    sum += Double.parseDouble(matcher.group(2));
                }
            }
            return sum;
        }
    }

    /** Reads and changes the server's mailbox table directly, as a test of what the server holds. */
    private static final class Mailbox {
        static List<byte[]> envelopes(Path data, UUID account) throws Exception {
            List<byte[]> rows = new ArrayList<>();
            try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("svyaz.db"));
                 java.sql.PreparedStatement query = db.prepareStatement(
                         "SELECT envelope FROM mailbox WHERE account_id = ? ORDER BY seq")) {
                query.setBytes(1, Uuids.toBytes(account));
                try (java.sql.ResultSet result = query.executeQuery()) {
                    while (result.next()) {
                        rows.add(result.getBytes(1));
                    }
                }
            }
            return rows;
        }

        /**
         * Stores the account's last envelope again under a new envelope id: a replay. The running
         * server writes to the same file (acknowledgements from other members), so the read and the
         * insert run in one transaction that takes the write lock first: a read transaction that
         * later upgrades to a write fails at once with SQLITE_BUSY if the server wrote in between.
         */
        static void duplicateLast(Path data, UUID account) throws Exception {
            try (java.sql.Connection db = java.sql.DriverManager.getConnection(
                    "jdbc:sqlite:" + data.resolve("svyaz.db") + "?transaction_mode=IMMEDIATE&busy_timeout=10000")) {
                db.setAutoCommit(false);
                insertCopyOfLast(db, account);
                db.commit();
            }
        }

        private static void insertCopyOfLast(java.sql.Connection db, UUID account) throws Exception {
            try (java.sql.PreparedStatement query = db.prepareStatement(
                    "SELECT device_id, envelope, stored_at FROM mailbox WHERE account_id = ? ORDER BY seq DESC LIMIT 1")) {
                query.setBytes(1, Uuids.toBytes(account));
                try (java.sql.ResultSet last = query.executeQuery()) {
                    assertThat(last.next()).as("a waiting message to replay").isTrue();
                    byte[] guid = Uuids.toBytes(UUID.randomUUID());
                    Envelope replay = Envelope.parseFrom(last.getBytes(2)).toBuilder()
                            .setGuid(com.google.protobuf.ByteString.copyFrom(guid)).build();
                    try (java.sql.PreparedStatement insert = db.prepareStatement(
                            "INSERT INTO mailbox (account_id, device_id, guid, envelope, stored_at) VALUES (?, ?, ?, ?, ?)")) {
                        insert.setBytes(1, Uuids.toBytes(account));
                        insert.setInt(2, last.getInt(1));
                        insert.setBytes(3, guid);
                        insert.setBytes(4, replay.toByteArray());
                        insert.setLong(5, last.getLong(3));
                        insert.executeUpdate();
                    }
                }
            }
        }
    }
}
