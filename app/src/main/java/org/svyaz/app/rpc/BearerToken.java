// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The secret every HTTP request must carry as {@code Authorization: Bearer <token>}. */
final class BearerToken {
    private final byte[] digest;

    private BearerToken(String token) {
        this.digest = sha256(token);
    }

    /** The file's content without surrounding whitespace (an editor's trailing newline is not part of it). */
    static BearerToken fromFile(Path file) throws DaemonStartException {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new DaemonStartException("cannot read the HTTP token file " + file + ": " + e.getClass().getSimpleName(), e);
        }
        if (token.isEmpty()) {
            throw new DaemonStartException("the HTTP token file " + file + " is empty");
        }
        return new BearerToken(token);
    }

    /** Whether an {@code Authorization} header value carries this token. */
    boolean matches(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        // Digests of equal length compared in constant time: the time taken reveals neither a matching
        // prefix nor the token's length.
        return MessageDigest.isEqual(digest, sha256(authorization.substring(7).strip()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
