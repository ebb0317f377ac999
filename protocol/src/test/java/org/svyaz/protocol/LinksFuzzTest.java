// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Timeout;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;

/**
 * Fuzz targets for what a user pastes or a server sends: invite links (with {@code &relays=}),
 * relay links, and the signed descriptor that refreshes a link. Each either fails with
 * {@link InvalidInviteLinkException} or yields a link that keeps the rules parsing promises and
 * survives a round trip through its text. Replayed from {@code LinksFuzzTestInputs/} in every
 * build; fuzzed with {@code JAZZER_FUZZ=1} (SECURITY.md, "Fuzzing").
 */
class LinksFuzzTest {
    /** A hang: Jazzer's fuzzing mode reports an input that runs longer (libFuzzer's -timeout). */
    private static final int INPUT_TIMEOUT_SECONDS = 10;
    /** Someone's server key: the fuzzer's descriptors are signed with it, so they get past the signature. */
    private static final KeyPair SERVER = ed25519();
    private static final KeyPair IMPOSTOR = ed25519();
    private static final ByteString SERVER_KEY = ByteString.copyFrom(SERVER.getPublic().getEncoded());

    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void inviteLinkText(byte[] text) {
        InviteLink link;
        try {
            link = InviteLink.parse(new String(text, UTF_8));
        } catch (InvalidInviteLinkException e) {
            return;
        }
        checkAccepted(link);
    }

    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void relayLinkText(byte[] text) throws InvalidInviteLinkException {
        RelayLink link;
        try {
            link = RelayLink.parse(new String(text, UTF_8));
        } catch (InvalidInviteLinkException e) {
            return;
        }
        assertThat(link.token()).hasSize(RelayToken.BYTES);
        assertThat(link.expiresAtMillis()).isNotNegative(); // a token may be expired already: the relay decides
        assertThat(RelayLink.parse(link.toString())).isEqualTo(link);
    }

    /**
     * An invite whose descriptor (and relays and code) the fuzzer writes and our server key signs,
     * so parsing gets past the signature to the checks behind it.
     */
    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void signedInvite(FuzzedDataProvider data) {
        ServerDescriptor descriptor = descriptor(data.consumeBytes(data.consumeInt(0, 2048)));
        if (descriptor == null) {
            return;
        }
        String query = data.consumeRemainingAsString();
        String text = InviteLink.PREFIX + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(sign(descriptor, SERVER.getPrivate()).toByteArray()) + query;
        InviteLink link;
        try {
            link = InviteLink.parse(text);
        } catch (InvalidInviteLinkException e) {
            return;
        }
        checkAccepted(link);
    }

    /**
     * A descriptor a server sends to refresh a link it handed out. Accepted only when the link's own
     * key signed it, it is not older, not expired and names an address and a pin.
     */
    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void refreshedDescriptor(FuzzedDataProvider data) throws InvalidInviteLinkException {
        InviteLink current = InviteLink.sign(ServerDescriptor.newBuilder()
                .setVersion(1)
                .setIdentityKey(SERVER_KEY)
                .addTlsKeyPins(ByteString.copyFrom(new byte[32]))
                .addEndpoints(org.svyaz.protocol.descriptor.Endpoint.newBuilder().setHost("chat.example.org").setPort(8443))
                .setIssuedAt(1_700_000_000_000L)
                .build(), SERVER.getPrivate(), Optional.empty());
        long now = 1_700_000_000_000L + data.consumeLong(-1_000_000L, 1_000_000L);
        int how = data.consumeInt(0, 2);
        SignedServerDescriptor update;
        if (how == 0) {
            // Whatever bytes the server sends, signature included.
            try {
                update = SignedServerDescriptor.parseFrom(data.consumeRemainingAsBytes());
            } catch (InvalidProtocolBufferException e) {
                return;
            }
        } else {
            ServerDescriptor next = descriptor(data.consumeRemainingAsBytes());
            if (next == null) {
                return;
            }
            update = sign(next, how == 1 ? SERVER.getPrivate() : IMPOSTOR.getPrivate());
        }
        InviteLink refreshed;
        try {
            refreshed = current.refreshedBy(update, now);
        } catch (InvalidInviteLinkException e) {
            return;
        }
        assertThat(how).as("accepted only when the link's own key signed it").isNotEqualTo(2);
        assertThat(refreshed.descriptor().getIdentityKey()).isEqualTo(SERVER_KEY);
        assertThat(refreshed.descriptor().getIssuedAt()).isGreaterThanOrEqualTo(current.descriptor().getIssuedAt());
        assertThat(refreshed.expired(now)).isFalse();
        checkAccepted(refreshed);
    }

    /** What every accepted link promises, and that its text gives back the same link. */
    private static void checkAccepted(InviteLink link) {
        assertThat(link.descriptor().getEndpointsCount()).isPositive();
        assertThat(link.descriptor().getTlsKeyPinsCount()).isPositive();
        assertThat(link.relays()).hasSizeLessThanOrEqualTo(8);
        for (RelayLink relay : link.relays()) {
            assertThat(relay.descriptor().getServerIdentityKey()).isEqualTo(link.descriptor().getIdentityKey());
            assertThat(relay.token()).hasSize(RelayToken.BYTES);
        }
        link.inviteCode().ifPresent(code -> assertThat(code).matches("[A-Za-z0-9_-]{1,64}"));
        InviteLink again;
        try {
            again = InviteLink.parse(link.toString());
        } catch (InvalidInviteLinkException e) {
            throw new AssertionError("an accepted link does not parse from its own text: " + e.getMessage(), e);
        }
        assertThat(again).isEqualTo(link);
    }

    /** The fuzzer's bytes as a descriptor of our server, or null when they are not one. */
    private static ServerDescriptor descriptor(byte[] bytes) {
        try {
            return ServerDescriptor.parseFrom(bytes).toBuilder().setIdentityKey(SERVER_KEY).build();
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }

    private static SignedServerDescriptor sign(ServerDescriptor descriptor, PrivateKey key) {
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key);
            byte[] bytes = descriptor.toByteArray();
            signer.update(bytes);
            return SignedServerDescriptor.newBuilder()
                    .setDescriptorBytes(ByteString.copyFrom(bytes))
                    .setSignature(ByteString.copyFrom(signer.sign()))
                    .build();
        } catch (GeneralSecurityException e) {
            throw new AssertionError("every JDK since 15 has Ed25519", e);
        }
    }

    private static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError("every JDK since 15 has Ed25519", e);
        }
    }
}
