// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.svyaz.protocol.descriptor.Endpoint;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;

class InviteLinkTest {
    private final KeyPair serverKey = ed25519();
    private final ServerDescriptor descriptor = descriptor(serverKey).build();

    @Test
    void linkRoundTrips() throws Exception {
        InviteLink link = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.empty());

        InviteLink parsed = InviteLink.parse(link.toString());

        assertThat(link.toString()).startsWith(InviteLink.PREFIX).doesNotContain("?invite=");
        assertThat(parsed.descriptor()).isEqualTo(descriptor);
        assertThat(parsed.signed()).isEqualTo(link.signed());
        assertThat(parsed.inviteCode()).isEmpty();
        assertThat(parsed.toString()).isEqualTo(link.toString());
    }

    @Test
    void inviteCodeRoundTrips() throws Exception {
        InviteLink link = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.of("Ab9_-z"));

        InviteLink parsed = InviteLink.parse(link.toString());

        assertThat(link.toString()).endsWith("?invite=Ab9_-z");
        assertThat(parsed.inviteCode()).contains("Ab9_-z");
        assertThat(parsed.descriptor()).isEqualTo(descriptor);
        assertThat(InviteLink.parse(parsed.withoutCode().toString()).inviteCode()).isEmpty();
    }

    @Test
    void surroundingWhitespaceIsIgnored() throws Exception {
        String link = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.of("code")).toString();

        assertThat(InviteLink.parse("  " + link + "\n").inviteCode()).contains("code");
    }

    @Test
    void everyTamperedDescriptorByteIsRejected() {
        InviteLink link = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.empty());
        byte[] original = link.signed().getDescriptorBytes().toByteArray();

        // Each byte in turn: whatever it breaks (a field, the key, the pins), the signature must catch it.
        for (int i = 0; i < original.length; i++) {
            byte[] tampered = original.clone();
            tampered[i] ^= 0x01;
            SignedServerDescriptor forged = link.signed().toBuilder()
                    .setDescriptorBytes(ByteString.copyFrom(tampered))
                    .build();
            assertInvalid(() -> InviteLink.parse(linkOf(forged)));
        }
    }

    @Test
    void tamperedSignatureIsRejected() {
        InviteLink link = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.empty());
        byte[] signature = link.signed().getSignature().toByteArray();
        signature[10] ^= 0x01;
        SignedServerDescriptor forged = link.signed().toBuilder().setSignature(ByteString.copyFrom(signature)).build();

        assertInvalid(() -> InviteLink.parse(linkOf(forged)));
    }

    @Test
    void descriptorSignedByAnotherKeyIsRejected() {
        // The descriptor names serverKey but an impostor signed it.
        InviteLink forged = InviteLink.sign(descriptor, ed25519().getPrivate(), Optional.empty());

        assertInvalid(() -> InviteLink.parse(forged.toString()));
    }

    @Test
    void descriptorWithoutEndpointOrPinIsRejected() {
        ServerDescriptor noEndpoint = descriptor(serverKey).clearEndpoints().build();
        ServerDescriptor noPin = descriptor(serverKey).clearTlsKeyPins().build();

        assertInvalid(() -> InviteLink.parse(
                InviteLink.sign(noEndpoint, serverKey.getPrivate(), Optional.empty()).toString()));
        assertInvalid(() -> InviteLink.parse(InviteLink.sign(noPin, serverKey.getPrivate(), Optional.empty()).toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://server/AAAA", "svyaz://client/AAAA", "svyaz:/server/AAAA", "SVYAZ://SERVER/AAAA"})
    void wrongPrefixIsRejected(String text) {
        assertInvalid(() -> InviteLink.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", InviteLink.PREFIX, InviteLink.PREFIX + "!!!not*base64",
            InviteLink.PREFIX + "A", InviteLink.PREFIX + "AAAA", InviteLink.PREFIX + "////"})
    void emptyOrGarbageIsRejected(String text) {
        assertInvalid(() -> InviteLink.parse(text));
    }

    @Test
    void nullIsRejected() {
        assertInvalid(() -> InviteLink.parse(null));
    }

    @Test
    void linkOverTheLengthLimitIsRejectedEvenWhenValid() throws Exception {
        // Grow a correctly signed descriptor until its link passes 8192 characters; the only reason
        // left to refuse it is its length.
        ServerDescriptor.Builder big = descriptor(serverKey);
        String longLink;
        do {
            big.addEndpoints(Endpoint.newBuilder().setHost("h".repeat(200) + ".example").setPort(443));
            longLink = InviteLink.sign(big.build(), serverKey.getPrivate(), Optional.empty()).toString();
        } while (longLink.length() <= 8192);
        String tooLong = longLink;

        assertThatThrownBy(() -> InviteLink.parse(tooLong))
                .isInstanceOf(InvalidInviteLinkException.class)
                .hasMessageContaining("too long");
        // One endpoint fewer fits, which shows the limit and not the content refused the long one.
        big.removeEndpoints(big.getEndpointsCount() - 1);
        String fits = InviteLink.sign(big.build(), serverKey.getPrivate(), Optional.empty()).toString();
        assertThat(fits.length()).isLessThanOrEqualTo(8192);
        assertThat(InviteLink.parse(fits).descriptor().getEndpointsCount()).isEqualTo(big.getEndpointsCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "a/b", "a+b", "a=b", "caf\u00e9",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}) // 65 characters
    void malformedInviteCodeIsRejected(String code) {
        String link = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.empty()) + "?invite=" + code;

        assertInvalid(() -> InviteLink.parse(link));
    }

    @Test
    void longestInviteCodeIsAccepted() throws Exception {
        String code = "y".repeat(64);
        String link = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.empty()) + "?invite=" + code;

        assertThat(InviteLink.parse(link).inviteCode()).contains(code);
    }

    @Test
    void signingRefusesAMalformedInviteCode() {
        assertThatThrownBy(() -> InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.of("no spaces")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anInvitesRelaysTravelWithItAndCarryTokensNotSecrets() throws Exception {
        InviteLink signed = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.of("code7"));
        RelayLink relay = grantedRelay(serverKey, "relay.example");

        InviteLink withRelays = signed.withRelays(java.util.List.of(relay));
        InviteLink parsed = InviteLink.parse(withRelays.toString());

        assertThat(withRelays.toString()).contains("?invite=code7&relays=");
        assertThat(parsed.inviteCode()).contains("code7");
        assertThat(parsed.relays()).containsExactly(relay);
        assertThat(parsed.relays().get(0).granted()).isTrue();
        assertThat(parsed.signed()).isEqualTo(signed.signed());
        assertThat(parsed.withoutCode().relays()).isEmpty();
        InviteLink noCode = InviteLink.parse(InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.empty())
                .withRelays(java.util.List.of(relay)).toString());
        assertThat(noCode.inviteCode()).isEmpty();
        assertThat(noCode.relays()).containsExactly(relay);
    }

    @Test
    void relaysForAnotherServerDamagedRelaysAndUnknownParametersAreRejected() {
        InviteLink signed = InviteLink.sign(descriptor, serverKey.getPrivate(), Optional.of("code7"));
        assertInvalid(() -> InviteLink.parse(signed.withRelays(java.util.List.of(grantedRelay(ed25519(), "x.example")))
                .toString()));
        assertInvalid(() -> InviteLink.parse(signed + "&relays=!!!"));
        assertInvalid(() -> InviteLink.parse(signed + "&relays="));
        assertInvalid(() -> InviteLink.parse(signed + "&tracking=1"));
        RelayLink withSecretAndToken = new RelayLink(grantedRelay(serverKey, "y.example").descriptor().toBuilder()
                .setSecret(ByteString.copyFrom(new byte[RelayLink.SECRET_BYTES])).build());
        assertInvalid(() -> InviteLink.parse(signed.withRelays(java.util.List.of(withSecretAndToken)).toString()));
        java.util.List<RelayLink> nine = java.util.Collections.nCopies(9, grantedRelay(serverKey, "z.example"));
        assertInvalid(() -> InviteLink.parse(signed.withRelays(nine).toString()));
    }

    private static RelayLink grantedRelay(KeyPair server, String host) {
        return new RelayLink(org.svyaz.protocol.relay.RelayDescriptor.newBuilder()
                .setHost(host).setPort(443).setSni("site.example")
                .setTlsKeyPin(ByteString.copyFrom(new byte[32]))
                .setToken(ByteString.copyFrom(new RelayToken(new byte[32]).grant(new byte[RelayToken.TAG_BYTES],
                        1_800_000_000L)))
                .setServerIdentityKey(ByteString.copyFrom(server.getPublic().getEncoded()))
                .build());
    }

    /** Rejected with a message a person can read: a capitalised sentence ending in a full stop. */
    private static void assertInvalid(ThrowingCallable parse) {
        assertThatThrownBy(parse)
                .isInstanceOf(InvalidInviteLinkException.class)
                .hasMessageMatching("[A-Z].*\\.");
    }

    private static String linkOf(SignedServerDescriptor signed) {
        return InviteLink.PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(signed.toByteArray());
    }

    private static ServerDescriptor.Builder descriptor(KeyPair key) {
        return ServerDescriptor.newBuilder()
                .setVersion(1)
                .setIdentityKey(ByteString.copyFrom(key.getPublic().getEncoded()))
                .addTlsKeyPins(ByteString.copyFrom(new byte[32]))
                .addEndpoints(Endpoint.newBuilder().setHost("chat.example.org").setPort(8443))
                .setIssuedAt(1_700_000_000_000L);
    }

    private static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError("every JDK since 15 has Ed25519", e);
        }
    }
}
