// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.calls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.svyaz.protocol.wire.TurnCredentials;
import org.svyaz.server.identity.DescriptorSettings;

/**
 * Hands out credentials for the operator's TURN servers in the TURN REST scheme that coturn's
 * {@code use-auth-secret} checks: the username is {@code EXPIRY:RANDOM} and the password the
 * base64 HMAC-SHA1 of it under the secret both share ({@code DATA/turn-secret}). Nothing in the
 * username names the account, so the TURN server's logs cannot tie a relayed call to one.
 *
 * <p>The TURN servers are the {@code turn} entries of {@code descriptor.conf}; both files are read
 * on each request (a call's set-up, rare), so an operator's change applies at once.
 */
public final class TurnCredentialIssuer {
    public static final String SECRET_FILE = "turn-secret";
    /** How long credentials last: a call started within it keeps its allocation while it refreshes. */
    public static final Duration VALIDITY = Duration.ofHours(12);

    private final Path dataDir;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public TurnCredentialIssuer(Path dataDir, Clock clock) {
        this.dataDir = dataDir;
        this.clock = clock;
    }

    /** Credentials and the servers they open, or empty when this server has no TURN server set up. */
    public Optional<TurnCredentials> issue() throws IOException {
        List<String> uris = List.copyOf(DescriptorSettings.load(dataDir).turnUris());
        Path secretFile = dataDir.resolve(SECRET_FILE);
        if (uris.isEmpty() || !Files.isRegularFile(secretFile)) {
            return Optional.empty();
        }
        String secret = Files.readString(secretFile, StandardCharsets.UTF_8).strip();
        long expiresAt = clock.millis() + VALIDITY.toMillis();
        byte[] nonce = new byte[8];
        random.nextBytes(nonce);
        String username = (expiresAt / 1000) + ":" + HexFormat.of().formatHex(nonce);
        return Optional.of(TurnCredentials.newBuilder()
                .setUsername(username)
                .setPassword(password(secret, username))
                .addAllUris(uris)
                .setExpiresAt(expiresAt)
                .build());
    }

    /** The password coturn expects for {@code username}: base64(HMAC-SHA1(secret, username)). */
    static String password(String secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is part of every JDK", e);
        }
    }

    /**
     * The shared secret, made (32 random bytes, readable by the owner only) when there is none yet;
     * coturn's {@code static-auth-secret} must be the same.
     */
    public static String secret(Path dataDir) throws IOException {
        Path file = dataDir.resolve(SECRET_FILE);
        if (!Files.exists(file)) {
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            Path temporary = Files.createTempFile(dataDir, SECRET_FILE + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(temporary, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "\n");
            try {
                Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.deleteIfExists(temporary);
                if (!Files.exists(file)) {
                    throw e;
                }
            }
        }
        return Files.readString(file, StandardCharsets.UTF_8).strip();
    }
}
