// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import com.google.protobuf.InvalidProtocolBufferException;
import org.svyaz.protocol.relay.RelayDescriptor;

/**
 * A relay link, {@code svyaz://relay/<base64url RelayDescriptor>}. It carries the relay's secret, so
 * whoever holds it can use the relay; a relay link without the matching server link is useless,
 * because the server inside is still recognised only by its pinned key.
 */
public record RelayLink(RelayDescriptor descriptor) {
    public static final String PREFIX = "svyaz://relay/";
    public static final int SECRET_BYTES = 32;
    /** How many bytes the client sends first, inside the outer TLS, to prove it holds the secret. */
    public static final int TOKEN_BYTES = 32;
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
        if (descriptor.getHost().isEmpty() || descriptor.getPort() < 1 || descriptor.getPort() > 65535
                || descriptor.getSecret().size() != SECRET_BYTES || descriptor.getTlsKeyPin().size() != 32
                || descriptor.getServerIdentityKey().isEmpty()) {
            throw new InvalidInviteLinkException("The relay link is incomplete (address, key pin, secret or server).");
        }
        return new RelayLink(descriptor);
    }

    /** The bytes a client sends first: a hash of the secret, so the secret itself never travels. */
    public byte[] token() {
        return token(descriptor.getSecret().toByteArray());
    }

    public static byte[] token(byte[] secret) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update("svyaz-relay-token-v1".getBytes(StandardCharsets.US_ASCII));
            sha256.update(secret);
            return sha256.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(descriptor.toByteArray());
    }
}
