// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.account;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Device passwords are 32 random bytes chosen by the device, so a salted SHA-256 is enough: there is
 * nothing to brute-force that a slow hash would protect. Comparison is constant-time.
 */
public final class Credentials {
    public static final int PASSWORD_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Credentials() {}

    public static byte[] newSalt() {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return salt;
    }

    public static byte[] hash(byte[] salt, byte[] password) {
        MessageDigest digest = sha256();
        digest.update(salt);
        digest.update(password);
        return digest.digest();
    }

    public static boolean matches(byte[] salt, byte[] expectedHash, byte[] password) {
        return MessageDigest.isEqual(expectedHash, hash(salt, password));
    }

    public static byte[] sha256(byte[] input) {
        return sha256().digest(input);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
