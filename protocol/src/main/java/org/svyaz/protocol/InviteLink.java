// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.svyaz.protocol.descriptor.ServerDescriptor;
import org.svyaz.protocol.descriptor.SignedServerDescriptor;
import org.svyaz.protocol.relay.RelayDescriptor;
import org.svyaz.protocol.relay.RelayList;

/**
 * An invite link: {@code svyaz://server/<base64url signed descriptor>[?invite=<code>][&relays=<base64url RelayList>]}
 * (with {@code ?relays=} when there is no code).
 *
 * <p>The link is the trust anchor. Whoever holds it knows the server's identity key and TLS key
 * pins, so no DNS answer or certificate authority can substitute another server. The descriptor is
 * signed with the server's Ed25519 identity key so that later refreshed descriptors can be checked
 * against the key from the first link.
 *
 * <p>An invite may carry relays with tokens issued for that invite, so someone whose network blocks
 * the server can still register. They sit outside the signature: like the link itself, they are
 * only as trustworthy as whoever passed the link on, and a relay cannot impersonate the server,
 * which is recognised by its pinned key.
 */
public record InviteLink(SignedServerDescriptor signed, ServerDescriptor descriptor, Optional<String> inviteCode,
                         List<RelayLink> relays) {
    public static final String PREFIX = "svyaz://server/";
    private static final String INVITE_PARAMETER = "invite=";
    private static final String RELAYS_PARAMETER = "relays=";
    /** An invite names a few relays; more is not an invite made by a Svyaz server. */
    private static final int MAX_RELAYS = 8;

    public InviteLink {
        relays = List.copyOf(relays);
    }

    public InviteLink(SignedServerDescriptor signed, ServerDescriptor descriptor, Optional<String> inviteCode) {
        this(signed, descriptor, inviteCode, List.of());
    }
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
        List<RelayLink> relays = List.of();
        int query = rest.indexOf('?');
        if (query >= 0) {
            for (String parameter : rest.substring(query + 1).split("&", -1)) {
                if (parameter.startsWith(INVITE_PARAMETER) && code.isEmpty()) {
                    String value = parameter.substring(INVITE_PARAMETER.length());
                    if (!INVITE_CODE.matcher(value).matches()) {
                        throw new InvalidInviteLinkException("The invite code in the link is malformed.");
                    }
                    code = Optional.of(value);
                } else if (parameter.startsWith(RELAYS_PARAMETER) && relays.isEmpty()) {
                    relays = parseRelays(parameter.substring(RELAYS_PARAMETER.length()));
                } else {
                    throw new InvalidInviteLinkException("The invite link has something after the server that is "
                            + "neither an invite code nor relays.");
                }
            }
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
        for (RelayLink relay : relays) {
            if (!relay.descriptor().getServerIdentityKey().equals(descriptor.getIdentityKey())) {
                throw new InvalidInviteLinkException("A relay in the invite link forwards to another server.");
            }
        }
        return new InviteLink(signed, descriptor, code, relays);
    }

    private static List<RelayLink> parseRelays(String encoded) throws InvalidInviteLinkException {
        RelayList grants;
        try {
            grants = RelayList.parseFrom(Base64.getUrlDecoder().decode(encoded));
        } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
            throw new InvalidInviteLinkException("The relays in the invite link are damaged.", e);
        }
        if (grants.getRelaysCount() == 0 || grants.getRelaysCount() > MAX_RELAYS) {
            throw new InvalidInviteLinkException("An invite link carries 1 to " + MAX_RELAYS + " relays.");
        }
        List<RelayLink> relays = new ArrayList<>();
        for (RelayDescriptor relay : grants.getRelaysList()) {
            relays.add(RelayLink.checked(relay));
        }
        return relays;
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

    /** The same server without an invite code or the invite's relays. */
    public InviteLink withoutCode() {
        return new InviteLink(signed, descriptor, Optional.empty(), List.of());
    }

    /** The same invite carrying {@code relays}. */
    public InviteLink withRelays(List<RelayLink> relays) {
        return new InviteLink(signed, descriptor, inviteCode, relays);
    }

    @Override
    public String toString() {
        StringBuilder link = new StringBuilder(PREFIX)
                .append(Base64.getUrlEncoder().withoutPadding().encodeToString(signed.toByteArray()));
        char separator = '?';
        if (inviteCode.isPresent()) {
            link.append(separator).append(INVITE_PARAMETER).append(inviteCode.get());
            separator = '&';
        }
        if (!relays.isEmpty()) {
            RelayList grants = RelayList.newBuilder()
                    .addAllRelays(relays.stream().map(RelayLink::descriptor).toList())
                    .build();
            link.append(separator).append(RELAYS_PARAMETER)
                    .append(Base64.getUrlEncoder().withoutPadding().encodeToString(grants.toByteArray()));
        }
        return link.toString();
    }
}
