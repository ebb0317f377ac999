// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.protocol.Uuids;
import org.svyaz.protocol.wire.AccountStaleDevices;
import org.svyaz.protocol.wire.Envelope;
import org.svyaz.protocol.wire.EnvelopeType;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.MultiRecipientSendRequest;
import org.svyaz.protocol.wire.MultiRecipientStaleDevices;
import org.svyaz.protocol.wire.StaleDevices;
import org.svyaz.protocol.wire.UnknownRecipients;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.api.Caller;
import org.svyaz.server.limits.LocalRateLimiter;
import org.svyaz.server.limits.RateLimiter;
import org.svyaz.server.message.SealedGroup.Member;
import org.svyaz.server.message.SealedGroup.MemberDevice;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.SealedSenderAccess;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * Multi-recipient sends through {@link MessageService} into the real embedded SQLite store, with
 * payloads sealed by libsignal: what is stored must open on every recipient device, and a request
 * that fails any check must store nothing for anyone.
 */
class MultiRecipientSendTest {
    private static final long NOW = 1_700_000_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] PLAINTEXT = "hello, group".getBytes(UTF_8);
    private static final MessageLimits LIMITS = new MessageLimits(256 * 1024, 100);

    private static SealedGroup group;
    private static Caller sender;

    @TempDir
    Path dataDir;

    private EmbeddedStorage storage;
    private MessageMetrics metrics;
    private MessageService service;
    private Member alice;
    private Member bob;
    private Member carol;

    @BeforeAll
    static void makeGroup() {
        group = new SealedGroup();
        sender = new Caller(group.senderId(), 1);
    }

    @BeforeEach
    void openStore() throws Exception {
        storage = EmbeddedStorage.open(dataDir);
        service = service(LIMITS, 1000);
        alice = group.member(101);
        bob = group.member(201, 202, 203);
        carol = group.member(301);
    }

    @AfterEach
    void closeStore() {
        storage.close();
    }

    /** The anonymous connection the sealed sends arrive on; its limits are its own. */
    private static final UUID CONNECTION = UUID.randomUUID();

    private MessageService service(MessageLimits limits, int burst) {
        return service(limits, burst, unlimited(), unlimited(), unlimited());
    }

    private MessageService service(MessageLimits limits, int burst, RateLimiter recipients, RateLimiter pairs,
                                   RateLimiter inboundKib) {
        metrics = new MessageMetrics(new SimpleMeterRegistry());
        return new MessageService(storage.accounts(), storage.mailbox(), DeliveryRegistry.singleNode(),
                new SendLimiters(new LocalRateLimiter(burst, 0.001, CLOCK), new LocalRateLimiter(burst, 0.001, CLOCK),
                        recipients, pairs, inboundKib), limits, CLOCK, metrics);
    }

    private static LocalRateLimiter limiter(int burst) {
        return new LocalRateLimiter(burst, 0.001, CLOCK);
    }

    /** The per-recipient limits are AbuseLimitsIT's subject; here they stay out of the way. */
    private static LocalRateLimiter unlimited() {
        return new LocalRateLimiter(Integer.MAX_VALUE, 1_000_000, CLOCK);
    }

    // ---- authenticated ----

    @Test
    void oneRequestStoresOneEnvelopePerDeviceAndEveryDeviceOpensIt() throws Exception {
        registerAll(alice, bob, carol);
        byte[] payload = group.seal(List.of(alice, bob, carol), PLAINTEXT);

        service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY));

        for (Member member : List.of(alice, bob, carol)) {
            for (MemberDevice device : member.devices()) {
                Envelope envelope = onlyEnvelope(member, device);
                assertThat(envelope.getType()).isEqualTo(EnvelopeType.UNIDENTIFIED_SENDER);
                assertThat(envelope.getTimestamp()).isEqualTo(SealedGroup.TIMESTAMP);
                assertThat(envelope.getServerTimestamp()).isEqualTo(NOW);
                assertThat(envelope.getGuid().size()).isEqualTo(16);
                // Sealed content: storage must not tie the members to the sender.
                assertThat(envelope.getSourceAccount().isEmpty()).isTrue();
                assertThat(envelope.getSourceDevice()).isZero();
                assertThat(group.open(member, device, envelope.getContent().toByteArray())).isEqualTo(PLAINTEXT);
            }
        }
        assertThat(metrics.multiRecipientSends()).isEqualTo(1);
        assertThat(metrics.multiRecipientSealedSends()).isZero();
        assertThat(metrics.singleSends()).isZero();
        assertThat(metrics.storedEnvelopes()).isEqualTo(5);
    }

    @Test
    void anUnknownRecipientIsNamedAndNothingIsStored() throws Exception {
        registerAll(alice, carol);
        byte[] payload = group.seal(List.of(alice, bob, carol), PLAINTEXT);

        ApiException error = failure(() -> service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY)));

        assertThat(error.code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(UnknownRecipients.parseFrom(error.detail()).getAccountIdsList())
                .containsExactly(Uuids.toByteString(bob.accountId()));
        assertNothingStored(alice, carol);
    }

    @Test
    void changedDevicesAreReportedPerAccountAndNothingIsStored() throws Exception {
        register(alice, 999);                      // alice re-registered: device 1 has a new registration id
        register(bob, 201);
        addDevice(bob, 2, 202);
        addDevice(bob, 4, 204);                    // bob linked device 4; device 3 is gone
        register(carol, 301);                      // carol is up to date
        byte[] payload = group.seal(List.of(alice, bob, carol), PLAINTEXT);

        ApiException error = failure(() -> service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY)));

        assertThat(error.code()).isEqualTo(ErrorCode.STALE_DEVICES);
        assertThat(MultiRecipientStaleDevices.parseFrom(error.detail()).getAccountsList()).containsExactly(
                AccountStaleDevices.newBuilder().setAccountId(Uuids.toByteString(alice.accountId()))
                        .setDevices(StaleDevices.newBuilder().addStale(1)).build(),
                AccountStaleDevices.newBuilder().setAccountId(Uuids.toByteString(bob.accountId()))
                        .setDevices(StaleDevices.newBuilder().addMissing(4).addExtra(3)).build());
        assertNothingStored(alice, carol);
        assertThat(storage.mailbox().count(bob.accountId(), 1)).isZero();
        assertThat(metrics.multiRecipientSends()).isZero();
    }

    @Test
    void theSendersRateLimitCountsTheRequestOnce() throws Exception {
        service = service(LIMITS, 1);
        registerAll(alice, bob, carol);

        // One token buys a request to five devices of three accounts ...
        service.sendMultiRecipient(sender, request(group.seal(List.of(alice, bob, carol), PLAINTEXT), ByteString.EMPTY));
        // ... and the next request is over the limit.
        byte[] second = group.seal(List.of(alice), PLAINTEXT);
        assertThat(failure(() -> service.sendMultiRecipient(sender, request(second, ByteString.EMPTY))).code())
                .isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(1);
    }

    @Test
    void aGroupSendCostsOneRecipientTokenPerMember() throws Exception {
        service = service(LIMITS, 1000, limiter(4), unlimited(), unlimited());
        registerAll(alice, bob, carol);

        // Three recipients take three of four tokens (bob's three devices count as one recipient) ...
        service.sendMultiRecipient(sender, request(group.seal(List.of(alice, bob, carol), PLAINTEXT), ByteString.EMPTY));
        // ... so a request to two more is refused whole, although it is only the second request.
        byte[] toTwo = group.seal(List.of(alice, carol), PLAINTEXT);
        ApiException refused = failure(() -> service.sendMultiRecipient(sender, request(toTwo, ByteString.EMPTY)));
        assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(refused.getMessage()).contains("recipients");
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(1);
        assertThat(storage.mailbox().count(carol.accountId(), 1)).isEqualTo(1);
        // One recipient is still within the budget.
        service.sendMultiRecipient(sender, request(group.seal(List.of(carol), PLAINTEXT), ByteString.EMPTY));
        assertThat(storage.mailbox().count(carol.accountId(), 1)).isEqualTo(2);
    }

    @Test
    void aSenderIsLimitedPerRecipientAndTheOtherRecipientsAreNot() throws Exception {
        service = service(LIMITS, 1000, unlimited(), limiter(2), unlimited());
        registerAll(alice, bob, carol);

        for (int i = 0; i < 2; i++) {
            service.sendMultiRecipient(sender, request(group.seal(List.of(alice), PLAINTEXT), ByteString.EMPTY));
        }
        byte[] toAliceAgain = group.seal(List.of(alice), PLAINTEXT);
        ApiException refused = failure(() -> service.sendMultiRecipient(sender, request(toAliceAgain, ByteString.EMPTY)));
        assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(refused.getMessage()).contains("to this recipient");
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(2);
        // The pair (sender, alice) is spent; (sender, carol) is not.
        service.sendMultiRecipient(sender, request(group.seal(List.of(carol), PLAINTEXT), ByteString.EMPTY));
        assertThat(storage.mailbox().count(carol.accountId(), 1)).isEqualTo(1);
    }

    @Test
    void theBytesARecipientReceivesAreLimitedWhoeverSendsThem() throws Exception {
        // 64 KiB a recipient; each message below is a little over 24 KiB a device (bob has three).
        service = service(LIMITS, 1000, unlimited(), unlimited(), limiter(64));
        registerAll(alice, bob);
        byte[] large = new byte[24 * 1024];

        service.sendMultiRecipient(sender, request(group.seal(List.of(alice), large), ByteString.EMPTY));
        ApiException refused = failure(() -> service.sendMultiRecipient(sender,
                request(group.seal(List.of(bob), large), ByteString.EMPTY)));
        assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(refused.getMessage()).contains("sent too much");
        assertNothingStored(bob);
        // A stranger (identified, no key) spends alice's budget for strangers...
        service.sendMultiRecipient(sender, request(group.seal(List.of(alice), large), ByteString.EMPTY));
        assertThat(failure(() -> service.sendMultiRecipient(sender,
                request(group.seal(List.of(alice), large), ByteString.EMPTY))).code()).isEqualTo(ErrorCode.RATE_LIMITED);
        // ...and not the one for her contacts (sealed with her key), which has its own limit.
        byte[] a = setAccessKey(alice);
        service.sendMultiRecipientSealed(CONNECTION, request(group.seal(List.of(alice), large), ByteString.copyFrom(a)));
        service.sendMultiRecipientSealed(CONNECTION, request(group.seal(List.of(alice), large), ByteString.copyFrom(a)));
        assertThat(failure(() -> service.sendMultiRecipientSealed(CONNECTION,
                request(group.seal(List.of(alice), large), ByteString.copyFrom(a)))).code())
                .isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(4);
    }

    // ---- sealed ----

    @Test
    void theCombinedAccessKeyOpensTheSealedPath() throws Exception {
        registerAll(alice, bob, carol);
        byte[] combined = xor(setAccessKey(alice), setAccessKey(bob), setAccessKey(carol));
        byte[] payload = group.seal(List.of(alice, bob, carol), PLAINTEXT);

        service.sendMultiRecipientSealed(CONNECTION, request(payload, ByteString.copyFrom(combined)));

        for (Member member : List.of(alice, bob, carol)) {
            for (MemberDevice device : member.devices()) {
                Envelope envelope = onlyEnvelope(member, device);
                assertThat(envelope.getSourceAccount().isEmpty()).isTrue();
                assertThat(group.open(member, device, envelope.getContent().toByteArray())).isEqualTo(PLAINTEXT);
            }
        }
        assertThat(metrics.multiRecipientSealedSends()).isEqualTo(1);
        assertThat(metrics.storedEnvelopes()).isEqualTo(5);
    }

    @Test
    void aWrongCombinedKeyIsUnauthorizedAndStoresNothing() throws Exception {
        registerAll(alice, bob, carol);
        byte[] a = setAccessKey(alice);
        byte[] b = setAccessKey(bob);
        byte[] c = setAccessKey(carol);
        byte[] payload = group.seal(List.of(alice, bob, carol), PLAINTEXT);
        byte[] flipped = xor(a, b, c);
        flipped[15] ^= 1;

        for (byte[] key : List.of(xor(a, b), flipped, new byte[16], new byte[0], java.util.Arrays.copyOf(xor(a, b, c), 15))) {
            ApiException error = failure(() -> service.sendMultiRecipientSealed(CONNECTION, request(payload, ByteString.copyFrom(key))));
            assertThat(error.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
            assertThat(error.detail().isEmpty()).isTrue();
        }
        assertNothingStored(alice, bob, carol);
    }

    @Test
    void anUnknownRecipientOnTheSealedPathLooksLikeAWrongKey() throws Exception {
        registerAll(alice, carol);
        byte[] combined = xor(setAccessKey(alice), setAccessKey(carol));
        byte[] payload = group.seal(List.of(alice, bob, carol), PLAINTEXT);

        ApiException unknown = failure(() -> service.sendMultiRecipientSealed(CONNECTION, request(payload, ByteString.copyFrom(combined))));
        byte[] wrong = combined.clone();
        wrong[0] ^= 1;
        byte[] onlyKnown = group.seal(List.of(alice, carol), PLAINTEXT);
        ApiException wrongKey = failure(() -> service.sendMultiRecipientSealed(CONNECTION, request(onlyKnown, ByteString.copyFrom(wrong))));

        assertThat(unknown.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
        assertThat(unknown.getMessage()).isEqualTo(wrongKey.getMessage());
        assertThat(unknown.detail()).isEqualTo(wrongKey.detail());
        assertNothingStored(alice, carol);
    }

    @Test
    void anAccountWithoutAKeyIsClosedAndAnUnrestrictedOneWithoutAKeyCountsAsZero() throws Exception {
        registerAll(alice, carol);
        byte[] a = setAccessKey(alice);
        byte[] payload = group.seal(List.of(alice, carol), PLAINTEXT);

        // carol never set a key: zeros must not open her mailbox.
        assertThat(failure(() -> service.sendMultiRecipientSealed(CONNECTION, request(payload, ByteString.copyFrom(a)))).code())
                .isEqualTo(ErrorCode.UNAUTHORIZED);
        assertNothingStored(alice, carol);

        // carol is open to everyone and has no key: she adds nothing to the XOR.
        storage.accounts().setSealedSenderAccess(carol.accountId(), new SealedSenderAccess(new byte[0], true));
        service.sendMultiRecipientSealed(CONNECTION, request(payload, ByteString.copyFrom(a)));
        assertThat(storage.mailbox().count(carol.accountId(), 1)).isEqualTo(1);
    }

    @Test
    void changedDevicesOnTheSealedPathAreReportedOnlyWithTheRightKey() throws Exception {
        register(alice, 999);
        registerAll(carol);
        byte[] combined = xor(setAccessKey(alice), setAccessKey(carol));
        byte[] payload = group.seal(List.of(alice, carol), PLAINTEXT);

        ApiException error = failure(() -> service.sendMultiRecipientSealed(CONNECTION, request(payload, ByteString.copyFrom(combined))));

        assertThat(error.code()).isEqualTo(ErrorCode.STALE_DEVICES);
        assertThat(MultiRecipientStaleDevices.parseFrom(error.detail()).getAccountsList())
                .singleElement().satisfies(account -> {
                    assertThat(account.getAccountId()).isEqualTo(Uuids.toByteString(alice.accountId()));
                    assertThat(account.getDevices().getStaleList()).containsExactly(1);
                });
        assertNothingStored(alice, carol);
    }

    @Test
    void anExcludedRecipientCountsForTheKeyButReceivesNothing() throws Exception {
        registerAll(alice, bob);
        byte[] combined = xor(setAccessKey(alice), setAccessKey(bob));
        MultiRecipientPayload sealed = MultiRecipientPayload.parse(
                ByteString.copyFrom(group.seal(List.of(alice), PLAINTEXT)), 10);
        MultiRecipientPayload.Recipient forAlice = sealed.recipients().get(0);
        byte[] payload = SentMessageWriter.version(0x23).count(2)
                .serviceId(0, alice.accountId()).device(1, 101, false).raw(forAlice.keyMaterial().toByteArray())
                .serviceId(0, bob.accountId()).excluded()
                .raw(sealed.sharedBytes().toByteArray()).bytes();

        service.sendMultiRecipientSealed(CONNECTION, request(payload, ByteString.copyFrom(combined)));

        assertThat(group.open(alice, alice.device(1), onlyEnvelope(alice, alice.device(1)).getContent().toByteArray()))
                .isEqualTo(PLAINTEXT);
        assertNothingStored(bob);
    }

    @Test
    void eachRecipientsSealedRateLimitApplies() throws Exception {
        service = service(LIMITS, 1);
        registerAll(alice, carol);
        byte[] a = setAccessKey(alice);
        byte[] c = setAccessKey(carol);

        service.sendMultiRecipientSealed(CONNECTION, request(group.seal(List.of(alice), PLAINTEXT), ByteString.copyFrom(a)));
        byte[] toBoth = group.seal(List.of(carol, alice), PLAINTEXT);
        assertThat(failure(() -> service.sendMultiRecipientSealed(CONNECTION, request(toBoth, ByteString.copyFrom(xor(a, c))))).code())
                .isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(storage.mailbox().count(carol.accountId(), 1)).isZero();
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(1);
        // The budget is the connection's: another sender's connection is not held back by it.
        service.sendMultiRecipientSealed(UUID.randomUUID(), request(toBoth, ByteString.copyFrom(xor(a, c))));
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(2);
    }

    // ---- limits ----

    @Test
    void aSharedPartOverTheMessageLimitIsTooLarge() throws Exception {
        service = service(new MessageLimits(1024, 100), 1000);
        registerAll(alice, carol);
        byte[] payload = group.seal(List.of(alice, carol), new byte[1200]);

        assertThat(failure(() -> service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY))).code())
                .isEqualTo(ErrorCode.TOO_LARGE);
        assertNothingStored(alice, carol);
    }

    @Test
    void aMessageThatWouldExpandPastTheFanOutLimitIsTooLarge() throws Exception {
        // 400 bytes of plaintext fit the message limit, but not five times over a 2 KiB fan-out limit.
        service = service(new MessageLimits(1024, 100, 1000, 2048), 1000);
        registerAll(alice, bob, carol);
        byte[] payload = group.seal(List.of(alice, bob, carol), new byte[400]);

        assertThat(failure(() -> service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY))).code())
                .isEqualTo(ErrorCode.TOO_LARGE);
        assertNothingStored(alice, bob, carol);
    }

    @Test
    void oneFullMailboxRefusesTheWholeRequest() throws Exception {
        service = service(new MessageLimits(256 * 1024, 2), 1000);
        registerAll(alice, bob, carol);
        List<MailboxEntry> waiting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            byte[] guid = new byte[16];
            RANDOM.nextBytes(guid);
            waiting.add(new MailboxEntry(0, bob.accountId(), 2, guid, new byte[] {1}, NOW));
        }
        storage.mailbox().insert(waiting);
        byte[] payload = group.seal(List.of(alice, bob, carol), PLAINTEXT);

        assertThat(failure(() -> service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY))).code())
                .isEqualTo(ErrorCode.RATE_LIMITED);
        assertNothingStored(alice, carol);
        assertThat(storage.mailbox().count(bob.accountId(), 1)).isZero();
        assertThat(storage.mailbox().count(bob.accountId(), 2)).isEqualTo(2);
        assertThat(storage.mailbox().count(bob.accountId(), 3)).isZero();
    }

    @Test
    void concurrentSendsToANearlyFullMailboxNeverPassTheCap() throws Exception {
        int cap = 6;
        service = service(new MessageLimits(256 * 1024, cap), 1000);
        registerAll(bob);
        List<MailboxEntry> waiting = new ArrayList<>();
        for (int i = 0; i < cap - 2; i++) {
            waiting.add(new MailboxEntry(0, bob.accountId(), 1, guid(), new byte[] {1}, NOW));
        }
        storage.mailbox().insert(waiting);
        byte[] payload = group.seal(List.of(bob), PLAINTEXT);

        // 16 senders at once (bounded), when only two more messages fit.
        int senders = 16;
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<Future<ErrorCode>> outcomes = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(senders)) {
            for (int i = 0; i < senders; i++) {
                outcomes.add(pool.submit(() -> {
                    start.await();
                    try {
                        service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY));
                        return ErrorCode.OK;
                    } catch (ApiException e) {
                        return e.code();
                    }
                }));
            }
            start.countDown();
            List<ErrorCode> codes = new ArrayList<>();
            for (Future<ErrorCode> outcome : outcomes) {
                codes.add(outcome.get());
            }
            assertThat(codes).filteredOn(ErrorCode.OK::equals).hasSize(2);
            assertThat(codes).filteredOn(ErrorCode.RATE_LIMITED::equals).hasSize(senders - 2);
        }
        for (MemberDevice device : bob.devices()) {
            assertThat(storage.mailbox().count(bob.accountId(), device.deviceId())).isLessThanOrEqualTo(cap);
        }
        assertThat(storage.mailbox().count(bob.accountId(), 1)).isEqualTo(cap);
    }

    @Test
    void aMalformedPayloadStoresNothing() throws Exception {
        registerAll(alice);
        byte[] payload = group.seal(List.of(alice), PLAINTEXT);

        ApiException error = failure(() -> service.sendMultiRecipient(sender,
                request(java.util.Arrays.copyOf(payload, 30), ByteString.EMPTY)));

        assertThat(error.code()).isEqualTo(ErrorCode.MALFORMED);
        assertNothingStored(alice);
    }

    @Test
    void oneFullMailboxRefusesTheWholeSendAndOneBelowTheLimitDoesNot() throws Exception {
        registerAll(alice, bob, carol);
        MemberDevice bobsSecond = bob.devices().get(1);
        List<MailboxEntry> waiting = new ArrayList<>();
        for (int i = 0; i < LIMITS.maxMailboxEntries() - 1; i++) {
            waiting.add(new MailboxEntry(0, bob.accountId(), bobsSecond.deviceId(), guid(), new byte[] {1}, NOW));
        }
        storage.mailbox().insert(waiting);
        byte[] payload = group.seal(List.of(alice, bob, carol), PLAINTEXT);

        // One below the limit: stored for everyone, which fills Bob's second device.
        service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY));
        assertThat(storage.mailbox().count(bob.accountId(), bobsSecond.deviceId()))
                .isEqualTo(LIMITS.maxMailboxEntries());

        ApiException full = failure(() -> service.sendMultiRecipient(sender, request(payload, ByteString.EMPTY)));

        assertThat(full.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(full.getMessage()).contains("mailbox is full");
        for (Member member : List.of(alice, carol)) {
            assertThat(storage.mailbox().count(member.accountId(), 1)).as("only the first send stored").isEqualTo(1);
        }
    }

    @Test
    void strangersFillOnlyTheirShareOfAMailboxAndSendersWithTheKeyStillGetIn() throws Exception {
        // A mailbox of 4, of which strangers may fill 2 (the default: half).
        service = service(new MessageLimits(256 * 1024, 4), 1000);
        registerAll(alice, carol);
        byte[] a = setAccessKey(alice);
        byte[] toAlice = group.seal(List.of(alice), PLAINTEXT);

        // Without keys (authenticated send-multi) the sender is a stranger: two get in, the third hears
        // that the mailbox is full, as anyone would.
        for (int i = 0; i < 2; i++) {
            service.sendMultiRecipient(sender, request(toAlice, ByteString.EMPTY));
        }
        ApiException stranger = failure(() -> service.sendMultiRecipient(sender, request(toAlice, ByteString.EMPTY)));
        assertThat(stranger.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(stranger.getMessage()).contains("mailbox is full");
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(2);

        // With alice's key (sealed send-multi) the sender is a contact: the rest of the mailbox is open.
        for (int i = 0; i < 2; i++) {
            service.sendMultiRecipientSealed(CONNECTION, request(toAlice, ByteString.copyFrom(a)));
        }
        ApiException full = failure(() -> service.sendMultiRecipientSealed(CONNECTION, request(toAlice, ByteString.copyFrom(a))));
        assertThat(full.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(full.getMessage()).isEqualTo(stranger.getMessage());
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(4);

        // Carol takes sealed messages from anyone and set no key: nobody proves a key, so a sealed
        // send to her is a stranger's, even in one request with a key for alice.
        storage.accounts().setSealedSenderAccess(carol.accountId(), new SealedSenderAccess(new byte[0], true));
        byte[] toCarol = group.seal(List.of(carol), PLAINTEXT);
        for (int i = 0; i < 2; i++) {
            service.sendMultiRecipientSealed(CONNECTION, request(toCarol, ByteString.copyFrom(new byte[16])));
        }
        assertThat(failure(() -> service.sendMultiRecipientSealed(CONNECTION,
                request(toCarol, ByteString.copyFrom(new byte[16])))).code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(storage.mailbox().count(carol.accountId(), 1)).isEqualTo(2);
    }

    @Test
    void aStrangersShareIsCountedPerRecipientAndTheSendersOwnAccountIsNoStranger() throws Exception {
        service = service(new MessageLimits(256 * 1024, 4), 1000);
        registerAll(alice, carol);
        byte[] c = setAccessKey(carol);
        Member self = group.member(401);
        register(self, 401);
        Caller selfCaller = new Caller(self.accountId(), 2);
        byte[] toSelf = group.seal(List.of(self), PLAINTEXT);

        // An account writing to its own other devices fills its whole mailbox.
        for (int i = 0; i < 4; i++) {
            service.sendMultiRecipient(selfCaller, request(toSelf, ByteString.EMPTY));
        }
        assertThat(storage.mailbox().count(self.accountId(), 1)).isEqualTo(4);

        // One sealed request, with carol's key and none for alice (open to everyone, no key):
        // from a contact to carol, from a stranger to alice.
        storage.accounts().setSealedSenderAccess(alice.accountId(), new SealedSenderAccess(new byte[0], true));
        byte[] toBoth = group.seal(List.of(alice, carol), PLAINTEXT);
        for (int i = 0; i < 2; i++) {
            service.sendMultiRecipientSealed(CONNECTION, request(toBoth, ByteString.copyFrom(c)));
        }
        // Alice's share is full, so the whole request is refused; carol alone still gets in.
        assertThat(failure(() -> service.sendMultiRecipientSealed(CONNECTION, request(toBoth, ByteString.copyFrom(c)))).code())
                .isEqualTo(ErrorCode.RATE_LIMITED);
        service.sendMultiRecipientSealed(CONNECTION, request(group.seal(List.of(carol), PLAINTEXT), ByteString.copyFrom(c)));
        assertThat(storage.mailbox().count(alice.accountId(), 1)).isEqualTo(2);
        assertThat(storage.mailbox().count(carol.accountId(), 1)).isEqualTo(3);
    }

    @Test
    void aThousandMembersGetTheirMessageFromOneRequest() throws Exception {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < MessageLimits.DEFAULT_MAX_MULTI_RECIPIENTS; i++) {
            members.add(group.member(1 + i % 16000));
        }
        byte[] combined = new byte[16];
        // Concurrent registrations share group commits; one at a time would wait for a thousand fsyncs.
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> keys = new ArrayList<>();
            for (Member member : members) {
                keys.add(executor.submit(() -> {
                    register(member, member.devices().get(0).registrationId());
                    return setAccessKey(member);
                }));
            }
            for (Future<byte[]> key : keys) {
                combined = xor(combined, key.get());
            }
        }
        byte[] payload = group.seal(members, PLAINTEXT);

        service.sendMultiRecipientSealed(CONNECTION, request(payload, ByteString.copyFrom(combined)));

        assertThat(metrics.multiRecipientSends()).isEqualTo(1);
        assertThat(metrics.storedEnvelopes()).isEqualTo(1000);
        for (Member member : members) {
            MemberDevice device = member.devices().get(0);
            assertThat(group.open(member, device, onlyEnvelope(member, device).getContent().toByteArray()))
                    .isEqualTo(PLAINTEXT);
        }
    }

    // ---- helpers ----

    private static MultiRecipientSendRequest request(byte[] payload, ByteString combinedAccessKey) {
        return MultiRecipientSendRequest.newBuilder()
                .setPayload(ByteString.copyFrom(payload))
                .setTimestamp(SealedGroup.TIMESTAMP)
                .setCombinedAccessKey(combinedAccessKey)
                .build();
    }

    private void registerAll(Member... members) throws Exception {
        for (Member member : members) {
            register(member, member.devices().get(0).registrationId());
            for (MemberDevice device : member.devices().subList(1, member.devices().size())) {
                addDevice(member, device.deviceId(), device.registrationId());
            }
        }
    }

    /** The account with device 1 only, under {@code registrationId}. */
    private void register(Member member, int registrationId) throws Exception {
        byte[] usernameHash = new byte[32];
        RANDOM.nextBytes(usernameHash);
        CreateAccountResult result = storage.accounts().create(
                new Account(member.accountId(), member.identity().getPublicKey().serialize(), NOW),
                new Device(1, registrationId, new byte[16], new byte[32], NOW), List.of(usernameHash), null, NOW);
        assertThat(result).isInstanceOf(CreateAccountResult.Created.class);
    }

    /** The store has no device linking yet; a linked device is a row like the first device's. */
    private void addDevice(Member member, int deviceId, int registrationId) throws Exception {
        storage.database().write(session -> {
            try (PreparedStatement insert = session.connection().prepareStatement("""
                    INSERT INTO devices (account_id, device_id, registration_id, credential_salt, credential_hash, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)""")) {
                insert.setBytes(1, Uuids.toBytes(member.accountId()));
                insert.setInt(2, deviceId);
                insert.setInt(3, registrationId);
                insert.setBytes(4, new byte[16]);
                insert.setBytes(5, new byte[32]);
                insert.setLong(6, NOW);
                return insert.executeUpdate();
            }
        });
    }

    private byte[] setAccessKey(Member member) throws Exception {
        byte[] key = new byte[SealedSenderAccess.ACCESS_KEY_BYTES];
        RANDOM.nextBytes(key);
        assertThat(storage.accounts().setSealedSenderAccess(member.accountId(), new SealedSenderAccess(key, false)))
                .isTrue();
        return key;
    }

    private static byte[] xor(byte[]... keys) {
        byte[] combined = new byte[SealedSenderAccess.ACCESS_KEY_BYTES];
        for (byte[] key : keys) {
            for (int i = 0; i < combined.length; i++) {
                combined[i] ^= key[i];
            }
        }
        return combined;
    }

    private Envelope onlyEnvelope(Member member, MemberDevice device) throws Exception {
        List<MailboxEntry> entries = storage.mailbox().fetch(member.accountId(), device.deviceId(), 0, 10);
        assertThat(entries).hasSize(1);
        return Envelope.parseFrom(entries.get(0).envelope());
    }

    private void assertNothingStored(Member... members) throws Exception {
        for (Member member : members) {
            for (MemberDevice device : member.devices()) {
                assertThat(storage.mailbox().count(member.accountId(), device.deviceId()))
                        .as("envelopes stored for a device").isZero();
            }
        }
    }

    private static ApiException failure(ThrowingCallable call) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call);
        assertThat(thrown).isInstanceOf(ApiException.class);
        return (ApiException) thrown;
    }

    private static byte[] guid() {
        byte[] guid = new byte[16];
        RANDOM.nextBytes(guid);
        return guid;
    }
}
