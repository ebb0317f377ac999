// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import java.util.Base64;
import com.google.protobuf.InvalidProtocolBufferException;
import org.svyaz.protocol.relay.RelayDescriptor;

/**
 * A relay link, {@code svyaz://relay/<base64url RelayDescriptor>}. It carries the relay's secret, so
 * whoever holds it can use the relay; a relay link without the matching server link is useless,
 * because the server inside is still recognised only by its pinned key.
 *
 * <p>A relay the server hands to an account (or puts into an invite) carries a granted token
 * instead of the secret (see {@link RelayToken}); it works until the token expires.
 */
public record RelayLink(RelayDescriptor descriptor) {
    public static final String PREFIX = "svyaz://relay/";
    public static final int SECRET_BYTES = 32;
    /** How many bytes the client sends first, inside the outer TLS, to prove it holds the secret. */
    public static final int TOKEN_BYTES = RelayToken.BYTES;
    private static final int MAX_LINK_LENGTH = 4096;

    public static RelayLink parse(String text) throws InvalidInviteLinkException {
        if (text == null) {
            throw new InvalidInviteLinkException("No relay link given.");
        }
        String link = text.strip();
        if (link.length() > MAX_LINK_LENGTH || !link.startsWith(PREFIX)) {
            throw new InvalidInviteLinkException("A relay link starts with \"" + PREFIX + "\".");
        }
        RelayDescriptor descriptor;
        try {
            descriptor = RelayDescriptor.parseFrom(Base64.getUrlDecoder().decode(link.substring(PREFIX.length())));
        } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
            throw new InvalidInviteLinkException("The relay link is damaged.", e);
        }
        return checked(descriptor);
    }

    /** A relay as the server or an invite described it, checked as {@link #parse} checks a link. */
    public static RelayLink checked(RelayDescriptor descriptor) throws InvalidInviteLinkException {
        boolean secretOrToken = descriptor.getSecret().isEmpty()
                ? descriptor.getToken().size() == RelayToken.BYTES
                : descriptor.getSecret().size() == SECRET_BYTES && descriptor.getToken().isEmpty();
        if (descriptor.getHost().isEmpty() || descriptor.getPort() < 1 || descriptor.getPort() > 65535
                || !secretOrToken || descriptor.getTlsKeyPin().size() != 32
                || descriptor.getServerIdentityKey().isEmpty()) {
            throw new InvalidInviteLinkException("The relay link is incomplete (address, key pin, secret or server).");
        }
        return new RelayLink(descriptor);
    }

    /** The bytes a client sends first: the granted token, or a hash of the secret, so the secret itself never travels. */
    public byte[] token() {
        return granted() ? descriptor.getToken().toByteArray()
                : RelayToken.staticToken(descriptor.getSecret().toByteArray());
    }

    /** Whether this link carries a token the server issued (which expires) rather than the relay's secret. */
    public boolean granted() {
        return descriptor.getSecret().isEmpty();
    }

    /** Until when the granted token works, in milliseconds since the epoch; a link with the secret never expires. */
    public long expiresAtMillis() {
        return granted() ? RelayToken.expiresAtSeconds(token()) * 1000 : Long.MAX_VALUE;
    }

    /** Whether {@code other} names the same relay (address and key), whatever its secret or token. */
    public boolean sameRelay(RelayLink other) {
        return descriptor.getHost().equals(other.descriptor.getHost())
                && descriptor.getPort() == other.descriptor.getPort()
                && descriptor.getTlsKeyPin().equals(other.descriptor.getTlsKeyPin());
    }

    @Override
    public String toString() {
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(descriptor.toByteArray());
    }
}
