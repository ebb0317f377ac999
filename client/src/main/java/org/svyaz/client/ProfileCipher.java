// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.signal.libsignal.zkgroup.InvalidInputException;
import org.signal.libsignal.zkgroup.profiles.ProfileKey;

/**
 * Encrypts profile fields with the profile key: AES-256-GCM from the JDK, a random 12-byte nonce,
 * and the name padded with zeros to 53 or 257 bytes so its length says little (the construction
 * Signal uses for profile names). Only holders of the profile key, the user's contacts, can read it.
 * The same key yields the access key that lets contacts send sealed messages.
 */
final class ProfileCipher {
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int[] PADDED_LENGTHS = {53, 257};
    private static final SecureRandom RANDOM = new SecureRandom();

    private ProfileCipher() {}

    /** The sealed-sender access key derived from a profile key, as every contact can derive it. */
    static byte[] accessKey(byte[] profileKey) {
        try {
            return new ProfileKey(profileKey).deriveAccessKey();
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException("a profile key is 32 bytes", e);
        }
    }

    static byte[] encryptName(byte[] profileKey, String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        int length = Arrays.stream(PADDED_LENGTHS).filter(l -> l >= utf8.length).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("a profile name is at most 257 bytes of UTF-8"));
        byte[] padded = Arrays.copyOf(utf8, length);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(profileKey, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            byte[] ciphertext = cipher.doFinal(padded);
            return ByteBuffer.allocate(NONCE_BYTES + ciphertext.length).put(nonce).put(ciphertext).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
    }

    /** The name, or empty when the ciphertext is empty, damaged or made with another key. */
    static Optional<String> decryptName(byte[] profileKey, byte[] encrypted) {
        if (encrypted.length <= NONCE_BYTES) {
            return Optional.empty();
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(profileKey, "AES"),
                    new GCMParameterSpec(TAG_BITS, encrypted, 0, NONCE_BYTES));
            byte[] padded = cipher.doFinal(encrypted, NONCE_BYTES, encrypted.length - NONCE_BYTES);
            int end = padded.length;
            while (end > 0 && padded[end - 1] == 0) {
                end--;
            }
            String name = new String(padded, 0, end, StandardCharsets.UTF_8);
            return name.isBlank() ? Optional.empty() : Optional.of(name);
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }
}
