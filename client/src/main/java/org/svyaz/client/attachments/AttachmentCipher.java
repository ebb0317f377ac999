// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import org.signal.libsignal.crypto.Aes256GcmDecryption;
import org.signal.libsignal.crypto.Aes256GcmEncryption;
import org.signal.libsignal.protocol.InvalidKeyException;

/**
 * Encrypts an attachment for upload and checks and decrypts a downloaded one, streaming, so a
 * large file is never held in memory. A blob is {@code nonce ‖ AES-256-GCM ciphertext ‖ tag} under
 * a fresh random key (libsignal's incremental GCM). The key and the SHA-256 digest of the whole
 * blob travel inside the end-to-end encrypted message; the recipient checks the digest before it
 * decrypts, and the tag after, so a blob the server or anyone else changed is refused.
 */
public final class AttachmentCipher {
    public static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BYTES = 16;
    /** What a blob holds besides the file: nonce and tag. */
    public static final int OVERHEAD_BYTES = NONCE_BYTES + TAG_BYTES;
    private static final int CHUNK = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the recipient needs: the key, the blob's digest, the plaintext's and the blob's sizes. */
    public record Sealed(byte[] key, byte[] digest, long plaintextSize, long blobSize) {}

    private AttachmentCipher() {}

    /** Writes the encrypted blob of {@code plaintext} to {@code blob}. */
    public static Sealed encrypt(Path plaintext, Path blob) throws IOException {
        byte[] key = new byte[KEY_BYTES];
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(key);
        RANDOM.nextBytes(nonce);
        MessageDigest digest = sha256();
        long size = 0;
        try (InputStream in = Files.newInputStream(plaintext); OutputStream out = Files.newOutputStream(blob)) {
            Aes256GcmEncryption gcm = new Aes256GcmEncryption(key, nonce, new byte[0]);
            write(out, digest, nonce, nonce.length);
            byte[] buffer = new byte[CHUNK];
            int read;
            while ((read = in.readNBytes(buffer, 0, CHUNK)) > 0) {
                gcm.encrypt(buffer, 0, read);
                write(out, digest, buffer, read);
                size += read;
            }
            write(out, digest, gcm.computeTag(), TAG_BYTES);
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("a fresh 32-byte key is always valid", e);
        }
        return new Sealed(key, digest.digest(), size, size + NONCE_BYTES + TAG_BYTES);
    }

    /**
     * Checks {@code blob} against {@code expectedDigest}, decrypts it and moves the plaintext to
     * {@code target}; nothing is left at {@code target} when the blob was tampered with. An
     * existing file is never replaced: then {@link java.nio.file.FileAlreadyExistsException} and
     * nothing is written.
     */
    public static void decrypt(Path blob, byte[] key, byte[] expectedDigest, Path target)
            throws IOException, AttachmentCorruptException {
        long size = Files.size(blob);
        if (size < NONCE_BYTES + TAG_BYTES) {
            throw new AttachmentCorruptException("the attachment is shorter than its encryption overhead");
        }
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(blob)) {
            byte[] buffer = new byte[CHUNK];
            int read;
            while ((read = in.read(buffer)) != -1) {
                digest.update(buffer, 0, read);
            }
        }
        if (!MessageDigest.isEqual(digest.digest(), expectedDigest)) {
            throw new AttachmentCorruptException("the attachment does not match the digest its sender sent");
        }
        Path partial = target.resolveSibling(target.getFileName() + ".part");
        try (InputStream in = Files.newInputStream(blob); OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            byte[] nonce = in.readNBytes(NONCE_BYTES);
            Aes256GcmDecryption gcm = new Aes256GcmDecryption(key, nonce, new byte[0]);
            long remaining = size - NONCE_BYTES - TAG_BYTES;
            byte[] buffer = new byte[CHUNK];
            while (remaining > 0) {
                int read = in.readNBytes(buffer, 0, (int) Math.min(CHUNK, remaining));
                if (read <= 0) {
                    throw new AttachmentCorruptException("the attachment ended early");
                }
                gcm.decrypt(buffer, 0, read);
                out.write(buffer, 0, read);
                remaining -= read;
            }
            if (!gcm.verifyTag(in.readNBytes(TAG_BYTES))) {
                throw new AttachmentCorruptException("the attachment fails its authentication tag");
            }
        } catch (InvalidKeyException e) {
            Files.deleteIfExists(partial);
            throw new AttachmentCorruptException("the attachment's key is not a 32-byte AES key");
        } catch (AttachmentCorruptException | IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        try {
            // Not ATOMIC_MOVE: on POSIX an atomic rename replaces an existing target.
            Files.move(partial, target);
        } catch (IOException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
    }

    private static void write(OutputStream out, MessageDigest digest, byte[] bytes, int length) throws IOException {
        out.write(bytes, 0, length);
        digest.update(bytes, 0, length);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** The downloaded blob is not what the sender encrypted. */
    public static final class AttachmentCorruptException extends Exception {
        public AttachmentCorruptException(String message) {
            super(message);
        }
    }
}
