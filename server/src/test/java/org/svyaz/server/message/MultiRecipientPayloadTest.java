// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.server.api.ApiException;
import org.svyaz.server.message.MultiRecipientPayload.Device;
import org.svyaz.server.message.MultiRecipientPayload.Recipient;
import org.svyaz.server.message.SealedGroup.Member;
import org.svyaz.server.message.SealedGroup.MemberDevice;

/**
 * The SSv2 SentMessage parser against payloads libsignal made, hand-built variants of them, and
 * every kind of malformed input: the split messages must open for the right devices only, and
 * anything malformed must be a MALFORMED {@link ApiException}, never another exception.
 */
class MultiRecipientPayloadTest {
    private static final int LIMIT = 1000;
    private static final byte[] PLAINTEXT = "to the whole group".getBytes(UTF_8);

    private static SealedGroup group;
    private static Member alice;
    private static Member bob;
    private static Member carol;
    private byte[] sealed;

    @BeforeAll
    static void makeGroup() throws Exception {
        group = new SealedGroup();
        alice = group.member(101);
        bob = group.member(201, 202, 203);
        carol = group.member(16380);
    }

    /** A fresh message per test: a device opens each group message once (a second time is a replay). */
    @BeforeEach
    void sealOneMessage() throws Exception {
        sealed = group.seal(List.of(alice, bob, carol), PLAINTEXT);
    }

    @Test
    void aLibsignalPayloadNamesEveryRecipientDeviceWithItsRegistrationId() throws Exception {
        MultiRecipientPayload payload = parse(sealed);

        assertThat(sealed[0]).as("libsignal's Java API writes service ids").isEqualTo((byte) 0x23);
        assertThat(payload.recipients()).extracting(Recipient::accountId)
                .containsExactly(alice.accountId(), bob.accountId(), carol.accountId());
        assertThat(payload.recipients().get(0).devices()).containsExactly(new Device(1, 101));
        assertThat(payload.recipients().get(1).devices())
                .containsExactlyInAnyOrder(new Device(1, 201), new Device(2, 202), new Device(3, 203));
        assertThat(payload.recipients().get(2).devices()).containsExactly(new Device(1, 16380));
        assertThat(payload.deviceCount()).isEqualTo(5);
        assertThat(payload.recipients()).allSatisfy(r -> assertThat(r.keyMaterial().size()).isEqualTo(48));
        assertThat(payload.sharedBytes().size()).isGreaterThan(MultiRecipientPayload.PUBLIC_KEY_BYTES);
    }

    @Test
    void everyDeviceOpensItsReceivedMessageAndReadsThePlaintext() throws Exception {
        MultiRecipientPayload payload = parse(sealed);

        for (Member member : List.of(alice, bob, carol)) {
            byte[] received = payload.receivedMessage(recipient(payload, member)).toByteArray();
            assertThat(received[0]).isEqualTo((byte) MultiRecipientPayload.RECEIVED_VERSION);
            assertThat(received).hasSize(payload.receivedMessageBytes());
            for (MemberDevice device : member.devices()) {
                assertThat(group.open(member, device, received)).isEqualTo(PLAINTEXT);
            }
        }
    }

    @Test
    void oneRecipientsMessageDoesNotOpenForAnother() throws Exception {
        MultiRecipientPayload payload = parse(sealed);
        byte[] forAlice = payload.receivedMessage(recipient(payload, alice)).toByteArray();

        assertThatThrownBy(() -> group.open(carol, carol.device(1), forAlice)).isInstanceOf(Exception.class);
    }

    @Test
    void theUuidFormParsesAlikeAndItsMessagesOpen() throws Exception {
        MultiRecipientPayload original = parse(sealed);
        SentMessageWriter writer = SentMessageWriter.version(MultiRecipientPayload.VERSION_UUID)
                .count(original.recipients().size());
        for (Recipient recipient : original.recipients()) {
            writer.uuid(recipient.accountId());
            writeDevices(writer, recipient.devices());
            writer.raw(recipient.keyMaterial().toByteArray());
        }
        byte[] uuidForm = writer.raw(original.sharedBytes().toByteArray()).bytes();

        MultiRecipientPayload payload = parse(uuidForm);

        assertThat(payload.recipients()).isEqualTo(original.recipients());
        assertThat(payload.sharedBytes()).isEqualTo(original.sharedBytes());
        for (MemberDevice device : bob.devices()) {
            assertThat(group.open(bob, device, payload.receivedMessage(recipient(payload, bob)).toByteArray()))
                    .isEqualTo(PLAINTEXT);
        }
    }

    @Test
    void aRecipientNamedTwiceHasItsDevicesJoined() throws Exception {
        MultiRecipientPayload original = parse(sealed);
        Recipient bobs = recipient(original, bob);
        byte[] keyMaterial = bobs.keyMaterial().toByteArray();
        SentMessageWriter writer = SentMessageWriter.version(MultiRecipientPayload.VERSION_SERVICE_ID).count(2)
                .serviceId(0, bob.accountId()).device(bobs.devices().get(0).id(), bobs.devices().get(0).registrationId(), false)
                .raw(keyMaterial)
                .serviceId(0, bob.accountId());
        writeDevices(writer, bobs.devices().subList(1, bobs.devices().size()));
        byte[] split = writer.raw(keyMaterial).raw(original.sharedBytes().toByteArray()).bytes();

        MultiRecipientPayload payload = parse(split);

        assertThat(payload.recipients()).singleElement().satisfies(r -> {
            assertThat(r.accountId()).isEqualTo(bob.accountId());
            assertThat(r.devices()).containsExactlyElementsOf(bobs.devices());
        });
        assertThat(payload.deviceCount()).isEqualTo(3);
        assertThat(group.open(bob, bob.device(3), payload.receivedMessage(payload.recipients().get(0)).toByteArray()))
                .isEqualTo(PLAINTEXT);
    }

    @Test
    void anExcludedRecipientIsNamedWithoutDevicesOrKeyMaterial() throws Exception {
        UUID excluded = UUID.randomUUID();
        byte[] bytes = SentMessageWriter.version(0x23).count(2)
                .serviceId(0, excluded).excluded()
                .serviceId(0, alice.accountId()).device(1, 101, false).keyMaterial(7)
                .shared(40).bytes();

        MultiRecipientPayload payload = parse(bytes);

        assertThat(payload.recipients()).hasSize(2);
        Recipient first = payload.recipients().get(0);
        assertThat(first.accountId()).isEqualTo(excluded);
        assertThat(first.excluded()).isTrue();
        assertThat(first.keyMaterial().isEmpty()).isTrue();
        assertThat(payload.deviceCount()).isEqualTo(1);
        assertThat(payload.sharedBytes().size()).isEqualTo(40);
        assertThatThrownBy(() -> payload.receivedMessage(first)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRegistrationIdIsTheLowFourteenBits() throws Exception {
        // Bit 14 is unused by the format; libsignal ignores it, so a payload with it set still names id 5.
        byte[] bytes = SentMessageWriter.version(0x22).count(1).uuid(UUID.randomUUID())
                .raw((byte) 9, (byte) 0x40, (byte) 5).keyMaterial(1).shared(32).bytes();

        assertThat(parse(bytes).recipients().get(0).devices()).containsExactly(new Device(9, 5));
    }

    @Test
    void theDeviceIdsAtTheEdgesOfTheRangeAreAccepted() throws Exception {
        byte[] bytes = SentMessageWriter.version(0x22).count(1).uuid(UUID.randomUUID())
                .device(1, 1, true).device(127, 16383, false).keyMaterial(1).shared(32).bytes();

        assertThat(parse(bytes).recipients().get(0).devices()).containsExactly(new Device(1, 1), new Device(127, 16383));
    }

    // ---- malformed ----

    @Test
    void anEmptyPayloadIsMalformed() {
        assertMalformed(new byte[0], "empty");
    }

    @Test
    void anUnknownVersionIsMalformed() {
        for (int version : new int[] {0x00, 0x11, 0x21, 0x24, 0x33, 0xFF}) {
            byte[] bytes = sealed.clone();
            bytes[0] = (byte) version;
            assertMalformed(bytes, "unknown version");
        }
    }

    @Test
    void everyTruncationBeforeTheSharedPartIsMalformed() throws Exception {
        int sharedStart = sealed.length - parse(sealed).sharedBytes().size();
        // Cutting inside the message itself cannot be noticed here (it runs to the end); the
        // recipient's decryption refuses that. Everything up to e_pub must be complete.
        for (int length = 1; length < sharedStart + MultiRecipientPayload.PUBLIC_KEY_BYTES; length++) {
            assertMalformed(java.util.Arrays.copyOf(sealed, length), "truncated");
        }
    }

    @Test
    void aDeviceIdZeroInsideADeviceListIsMalformed() {
        byte[] bytes = SentMessageWriter.version(0x22).count(1).uuid(UUID.randomUUID())
                .device(1, 10, true).excluded().keyMaterial(1).shared(32).bytes();
        assertMalformed(bytes, "device id 0");
    }

    @Test
    void aDeviceIdAbove127IsMalformed() {
        for (int id : new int[] {128, 200, 255}) {
            byte[] bytes = SentMessageWriter.version(0x22).count(1).uuid(UUID.randomUUID())
                    .device(id, 10, false).keyMaterial(1).shared(32).bytes();
            assertMalformed(bytes, "above 127");
        }
    }

    @Test
    void aDeviceNamedTwiceForOneRecipientIsMalformed() {
        UUID id = UUID.randomUUID();
        byte[] sameList = SentMessageWriter.version(0x22).count(1).uuid(id)
                .device(3, 10, true).device(3, 11, false).keyMaterial(1).shared(32).bytes();
        assertMalformed(sameList, "appears twice");

        byte[] acrossEntries = SentMessageWriter.version(0x22).count(2)
                .uuid(id).device(3, 10, false).keyMaterial(1)
                .uuid(id).device(3, 10, false).keyMaterial(1).shared(32).bytes();
        assertMalformed(acrossEntries, "appears twice");
    }

    @Test
    void anEndlessDeviceListStopsAtTheLargestPossibleOne() {
        SentMessageWriter writer = SentMessageWriter.version(0x22).count(1).uuid(UUID.randomUUID());
        for (int i = 0; i < 300; i++) {
            writer.device(1 + i % 127, 10, true);
        }
        assertMalformed(writer.shared(32).bytes(), "appears twice");
    }

    @Test
    void aRecipientRepeatedWithoutDevicesIsMalformed() {
        UUID id = UUID.randomUUID();
        byte[] emptyRepeat = SentMessageWriter.version(0x22).count(2)
                .uuid(id).device(1, 10, false).keyMaterial(1)
                .uuid(id).excluded().shared(32).bytes();
        assertMalformed(emptyRepeat, "no devices");

        byte[] repeatOfEmpty = SentMessageWriter.version(0x22).count(2)
                .uuid(id).excluded()
                .uuid(id).device(1, 10, false).keyMaterial(1).shared(32).bytes();
        assertMalformed(repeatOfEmpty, "no devices");
    }

    @Test
    void tooManyRecipientsAreRefusedBeforeTheyAreRead() {
        // The count alone decides: a payload claiming too many is refused without reading further.
        assertMalformed(SentMessageWriter.version(0x22).count(LIMIT + 1).bytes(), "at most " + LIMIT);
        assertMalformed(SentMessageWriter.version(0x22).count(0xFFFF_FFFFL).bytes(), "at most " + LIMIT);

        SentMessageWriter writer = SentMessageWriter.version(0x23).count(4);
        for (int i = 0; i < 4; i++) {
            writer.serviceId(0, UUID.randomUUID()).device(1, 1, false).keyMaterial(i);
        }
        byte[] four = writer.shared(32).bytes();
        assertThatThrownBy(() -> MultiRecipientPayload.parse(ByteString.copyFrom(four), 3))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED));
    }

    @Test
    void anOverlongOrUnterminatedRecipientCountIsMalformed() {
        byte[] overflow = SentMessageWriter.version(0x22).raw((byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0x01).shared(64).bytes();
        assertMalformed(overflow, "varint");
        assertMalformed(SentMessageWriter.version(0x22).raw((byte) 0x81).bytes(), "truncated");
    }

    @Test
    void noRecipientsOrNoDevicesAreMalformed() {
        assertMalformed(SentMessageWriter.version(0x22).count(0).shared(32).bytes(), "no recipients");
        assertMalformed(SentMessageWriter.version(0x22).count(1).uuid(UUID.randomUUID()).excluded().shared(32).bytes(),
                "no recipient device");
    }

    @Test
    void aPhoneNumberIdentityIsRefused() {
        byte[] bytes = SentMessageWriter.version(0x23).count(1).serviceId(1, UUID.randomUUID())
                .device(1, 1, false).keyMaterial(1).shared(32).bytes();
        assertMalformed(bytes, "ACI");
    }

    @Test
    void aSharedPartShorterThanAPublicKeyIsMalformed() {
        byte[] bytes = SentMessageWriter.version(0x22).count(1).uuid(UUID.randomUUID())
                .device(1, 1, false).keyMaterial(1).shared(31).bytes();
        assertMalformed(bytes, "truncated");
    }

    /** Random cuts, bit flips and insertions of a real payload: parsed or MALFORMED, nothing else. */
    @Test
    void damagedPayloadsParseOrAreMalformedAndNeverThrowAnythingElse() {
        Random random = new Random(20261122);
        int parsed = 0;
        int malformed = 0;
        for (int round = 0; round < 3000; round++) {
            byte[] damaged = damage(sealed, random);
            try {
                MultiRecipientPayload payload = MultiRecipientPayload.parse(ByteString.copyFrom(damaged), LIMIT);
                // Whatever parses must be consistent enough to split.
                for (Recipient recipient : payload.recipients()) {
                    if (!recipient.excluded()) {
                        assertThat(payload.receivedMessage(recipient).size()).isEqualTo(payload.receivedMessageBytes());
                    }
                }
                parsed++;
            } catch (ApiException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED);
                assertThat(e.getMessage()).isNotBlank();
                malformed++;
            } catch (Throwable e) {
                fail("damaged payload threw " + e, e);
            }
        }
        // Both outcomes must actually occur, or the damage did not exercise the parser.
        assertThat(parsed).isPositive();
        assertThat(malformed).isPositive();
    }

    private static byte[] damage(byte[] original, Random random) {
        byte[] bytes = original.clone();
        switch (random.nextInt(4)) {
            case 0 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
            case 1 -> {
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    // Mostly the header, where the structure is.
                    int at = random.nextInt(Math.min(bytes.length, random.nextBoolean() ? 220 : bytes.length));
                    bytes[at] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 2 -> {
                int at = random.nextInt(Math.min(bytes.length, 220));
                byte[] longer = new byte[bytes.length + 1 + random.nextInt(8)];
                System.arraycopy(bytes, 0, longer, 0, at);
                for (int i = at; i < at + longer.length - bytes.length; i++) {
                    longer[i] = (byte) random.nextInt(256);
                }
                System.arraycopy(bytes, at, longer, at + longer.length - bytes.length, bytes.length - at);
                bytes = longer;
            }
            default -> {
                byte[] noise = new byte[random.nextInt(300)];
                random.nextBytes(noise);
                if (noise.length > 0) {
                    noise[0] = (byte) (random.nextBoolean() ? 0x22 : 0x23);
                }
                bytes = noise;
            }
        }
        return bytes;
    }

    private static void writeDevices(SentMessageWriter writer, List<Device> devices) {
        for (int i = 0; i < devices.size(); i++) {
            writer.device(devices.get(i).id(), devices.get(i).registrationId(), i < devices.size() - 1);
        }
    }

    private static Recipient recipient(MultiRecipientPayload payload, Member member) {
        return payload.recipients().stream().filter(r -> r.accountId().equals(member.accountId())).findFirst()
                .orElseThrow();
    }

    private static MultiRecipientPayload parse(byte[] bytes) throws ApiException {
        return MultiRecipientPayload.parse(ByteString.copyFrom(bytes), LIMIT);
    }

    private static void assertMalformed(byte[] bytes, String reason) {
        ThrowingCallable parsing = () -> parse(bytes);
        assertThatThrownBy(parsing)
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED))
                .hasMessageContaining(reason);
    }
}
