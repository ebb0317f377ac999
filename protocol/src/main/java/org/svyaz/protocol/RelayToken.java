// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The 32 bytes a client sends first inside a relay's TLS. Two kinds open the tunnel:
 *
 * <ul>
 * <li>the <em>static</em> token, a hash of the relay's secret, sent by whoever holds a relay link
 *     shared by hand (the link carries the secret);</li>
 * <li>a <em>granted</em> token the server issued for one account or one invite:
 *     {@code prefix(4) || expiry(4) || tag(8) || mac(16)}, where the prefix is the static token's
 *     first four bytes, the expiry is in seconds since the epoch, the tag names the account or
 *     invite without the relay learning which, and the MAC is HMAC-SHA256 under a key derived from
 *     the relay's secret, which only the relay and the server (given the relay's link) know.</li>
 * </ul>
 *
 * <p>Both start with the same four bytes, so a relay tells a browser or a prober from a client
 * after four bytes and answers it as a web site at once. A granted token works only until its
 * expiry, so one captured from a client stops working, and its tag points the operator at the
 * account (or invite) it was issued to.
 */
public final class RelayToken {
    public static final int BYTES = 32;
    public static final int PREFIX_BYTES = 4;
    /**
     * Sent right after the token, this byte asks a relay for its TURN server instead of the Svyaz
     * server (call media, see {@code svyaz relay --turn-upstream}). What a client sends to the Svyaz
     * server starts with a TLS record (0x16), never with this.
     */
    public static final byte TURN_TUNNEL = 'T';
    public static final int TAG_BYTES = 8;
    private static final int MAC_BYTES = 16;
    private static final int SIGNED_BYTES = BYTES - MAC_BYTES;
    /** How far a relay's clock may lag the server's without refusing a fresh token, or lead it for an old one. */
    public static final long CLOCK_SKEW_SECONDS = 600;

    private final byte[] staticToken;
    private final SecretKeySpec grantKey;

    /** The tokens of the relay whose secret is {@code secret}. */
    public RelayToken(byte[] secret) {
        this.staticToken = staticToken(secret);
        this.grantKey = new SecretKeySpec(hash("svyaz-relay-grant-v1", secret), "HmacSHA256");
    }

    /** The token of a relay link shared by hand: a hash of the secret, so the secret itself never travels. */
    public static byte[] staticToken(byte[] secret) {
        return hash("svyaz-relay-token-v1", secret);
    }

    /** The bytes every token of this relay starts with. */
    public byte[] prefix() {
        return Arrays.copyOf(staticToken, PREFIX_BYTES);
    }

    /** A token for whoever {@code tag} stands for, valid until {@code expiresAtSeconds}. */
    public byte[] grant(byte[] tag, long expiresAtSeconds) {
        if (tag.length != TAG_BYTES) {
            throw new IllegalArgumentException("a tag is " + TAG_BYTES + " bytes");
        }
        if (expiresAtSeconds < 0 || expiresAtSeconds > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("the expiry does not fit in four bytes");
        }
        ByteBuffer token = ByteBuffer.allocate(BYTES)
                .put(staticToken, 0, PREFIX_BYTES)
                .putInt((int) expiresAtSeconds)
                .put(tag);
        token.put(mac(Arrays.copyOf(token.array(), SIGNED_BYTES)));
        return token.array();
    }

    /** Whether {@code token} opens this relay at {@code nowSeconds}: the static token, or a granted one not expired. */
    public boolean accepts(byte[] token, long nowSeconds) {
        if (token.length != BYTES) {
            return false;
        }
        if (MessageDigest.isEqual(token, staticToken)) {
            return true;
        }
        byte[] signed = Arrays.copyOf(token, SIGNED_BYTES);
        byte[] mac = Arrays.copyOfRange(token, SIGNED_BYTES, BYTES);
        return MessageDigest.isEqual(mac, mac(signed))
                && nowSeconds <= expiresAtSeconds(token) + CLOCK_SKEW_SECONDS;
    }

    /** The expiry written into a granted token, in seconds since the epoch (unchecked). */
    public static long expiresAtSeconds(byte[] token) {
        return Integer.toUnsignedLong(ByteBuffer.wrap(token, PREFIX_BYTES, 4).getInt());
    }

    /** The tag written into a granted token (unchecked). */
    public static byte[] tag(byte[] token) {
        return Arrays.copyOfRange(token, PREFIX_BYTES + 4, PREFIX_BYTES + 4 + TAG_BYTES);
    }

    private byte[] mac(byte[] signed) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(grantKey);
            return Arrays.copyOf(hmac.doFinal(signed), MAC_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }

    private static byte[] hash(String label, byte[] secret) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(label.getBytes(StandardCharsets.US_ASCII));
            sha256.update(secret);
            return sha256.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
