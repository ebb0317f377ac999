// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;

/**
 * An invite link: {@code svyaz://server/<base64url signed descriptor>[?invite=<code>]}.
 *
 * <p>The link is the trust anchor. Whoever holds it knows the server's identity key and TLS key
 * pins, so no DNS answer or certificate authority can substitute another server. The descriptor is
 * signed with the server's Ed25519 identity key so that later refreshed descriptors can be checked
 * against the key from the first link.
 */
public record InviteLink(SignedServerDescriptor signed, ServerDescriptor descriptor, Optional<String> inviteCode) {
    public static final String PREFIX = "svyaz://server/";
    private static final String INVITE_PARAMETER = "?invite=";
    private static final Pattern INVITE_CODE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final int MAX_LINK_LENGTH = 8192;

    /** Signs {@code descriptor} with the server's identity key and wraps it in a link. */
    public static InviteLink sign(ServerDescriptor descriptor, PrivateKey identityKey, Optional<String> inviteCode) {
        byte[] bytes = descriptor.toByteArray();
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(identityKey);
            signer.update(bytes);
            SignedServerDescriptor signed = SignedServerDescriptor.newBuilder()
                    .setDescriptorBytes(ByteString.copyFrom(bytes))
                    .setSignature(ByteString.copyFrom(signer.sign()))
                    .build();
            inviteCode.ifPresent(InviteLink::requireValidCode);
            return new InviteLink(signed, descriptor, inviteCode);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JDK since 15", e);
        }
    }

    /** Parses and verifies a link as a user pasted it (surrounding whitespace is ignored). */
    public static InviteLink parse(String text) throws InvalidInviteLinkException {
        if (text == null) {
            throw new InvalidInviteLinkException("No invite link given.");
        }
        String link = text.strip();
        if (link.length() > MAX_LINK_LENGTH) {
            throw new InvalidInviteLinkException("The invite link is too long to be a Svyaz link.");
        }
        if (!link.startsWith(PREFIX)) {
            throw new InvalidInviteLinkException("An invite link starts with \"" + PREFIX + "\".");
        }
        String rest = link.substring(PREFIX.length());
        Optional<String> code = Optional.empty();
        int query = rest.indexOf(INVITE_PARAMETER);
        if (query >= 0) {
            String value = rest.substring(query + INVITE_PARAMETER.length());
            if (!INVITE_CODE.matcher(value).matches()) {
                throw new InvalidInviteLinkException("The invite code in the link is malformed.");
            }
            code = Optional.of(value);
            rest = rest.substring(0, query);
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(rest);
        } catch (IllegalArgumentException e) {
            throw new InvalidInviteLinkException("The invite link is damaged (not valid base64url).", e);
        }
        SignedServerDescriptor signed;
        ServerDescriptor descriptor;
        try {
            signed = SignedServerDescriptor.parseFrom(raw);
            descriptor = ServerDescriptor.parseFrom(signed.getDescriptorBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidInviteLinkException("The invite link is damaged (unreadable descriptor).", e);
        }
        verify(signed, descriptor);
        if (descriptor.getEndpointsCount() == 0 || descriptor.getTlsKeyPinsCount() == 0) {
            throw new InvalidInviteLinkException("The invite link names no server address or no key pin.");
        }
        return new InviteLink(signed, descriptor, code);
    }

    /**
     * A refreshed descriptor for the same server: it must be signed by the identity key of this
     * link (not merely by any key it names itself) and be at least as new.
     */
    public InviteLink refreshedBy(SignedServerDescriptor update, long nowMillis) throws InvalidInviteLinkException {
        ServerDescriptor next;
        try {
            next = ServerDescriptor.parseFrom(update.getDescriptorBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidInviteLinkException("The server sent an unreadable descriptor.", e);
        }
        if (!next.getIdentityKey().equals(descriptor.getIdentityKey())) {
            throw new InvalidInviteLinkException("The server sent a descriptor for another identity key.");
        }
        verify(update, next);
        if (next.getIssuedAt() < descriptor.getIssuedAt()) {
            throw new InvalidInviteLinkException("The server sent an older descriptor than the one already known.");
        }
        if (next.getExpiresAt() != 0 && next.getExpiresAt() <= nowMillis) {
            throw new InvalidInviteLinkException("The server sent an expired descriptor.");
        }
        if (next.getEndpointsCount() == 0 || next.getTlsKeyPinsCount() == 0) {
            throw new InvalidInviteLinkException("The server sent a descriptor without addresses or key pins.");
        }
        return new InviteLink(update, next, Optional.empty());
    }

    /** Whether the descriptor's expiry has passed at {@code nowMillis}. */
    public boolean expired(long nowMillis) {
        return descriptor.getExpiresAt() != 0 && descriptor.getExpiresAt() <= nowMillis;
    }

    private static void verify(SignedServerDescriptor signed, ServerDescriptor descriptor) throws InvalidInviteLinkException {
        try {
            PublicKey key = KeyFactory.getInstance("Ed25519")
                    .generatePublic(new X509EncodedKeySpec(descriptor.getIdentityKey().toByteArray()));
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key);
            verifier.update(signed.getDescriptorBytes().toByteArray());
            if (!verifier.verify(signed.getSignature().toByteArray())) {
                throw new InvalidInviteLinkException("The invite link's signature does not match its server key.");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new InvalidInviteLinkException("The invite link's server key or signature is malformed.", e);
        }
    }

    private static void requireValidCode(String code) {
        if (!INVITE_CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("invite codes are 1-64 characters of [A-Za-z0-9_-]");
        }
    }

    /** The same server without an invite code. */
    public InviteLink withoutCode() {
        return new InviteLink(signed, descriptor, Optional.empty());
    }

    @Override
    public String toString() {
        String base = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(signed.toByteArray());
        return inviteCode.map(c -> base + INVITE_PARAMETER + c).orElse(base);
    }
}
