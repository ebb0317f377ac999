// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may use the web app: {@code svyaz app} prints a URL carrying a one-time secret, and the page
 * trades it ({@code POST /api/v1/session}) for a session cookie (HttpOnly, SameSite=Strict). Other
 * users of the machine can reach 127.0.0.1 too; without the secret they get nothing. Only digests
 * of secrets are kept, and compared in constant time.
 *
 * <p>A session cookie is signed (HMAC-SHA256) with a key that {@link #persistent} keeps in the data
 * directory, and carries its expiry: a restarted {@code svyaz app} still knows the open tab, which
 * reconnects by itself. Nothing else about sessions is stored.
 */
public final class AppSessions {
    static final String COOKIE = "svyaz-session";
    static final String PATH = "/api/v1/session";
    /** Long enough to open the browser; a secret nobody traded in by then is useless. */
    static final Duration SECRET_LIFETIME = Duration.ofMinutes(10);
    private static final int MAX_BODY_BYTES = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How long a browser stays signed in without a new link. */
    static final Duration SESSION_LIFETIME = Duration.ofDays(30);
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 16;

    private final SecureRandom random = new SecureRandom();
    private final Clock clock;
    private final byte[] key;
    /** Guarded by this: secret digest (base64) to its expiry in epoch millis. */
    private final Map<String, Long> secrets = new HashMap<>();

    /** Sessions that end with this process (a daemon that serves the app only when asked). */
    public AppSessions(Clock clock) {
        this(clock, newKey());
    }

    private AppSessions(Clock clock, byte[] key) {
        this.clock = clock;
        this.key = key.clone();
    }

    /**
     * Sessions that outlive a restart: signed with the key in {@code keyFile}, made (readable by the
     * owner only) when missing. Deleting the file signs every browser out.
     */
    public static AppSessions persistent(Path keyFile, Clock clock) throws IOException {
        byte[] key;
        if (Files.exists(keyFile)) {
            key = Files.readAllBytes(keyFile);
            if (key.length != KEY_BYTES) {
                throw new IOException(keyFile + " is not a session key (" + key.length + " bytes); delete it to sign "
                        + "every browser out and start afresh");
            }
        } else {
            key = newKey();
            Files.createDirectories(keyFile.toAbsolutePath().getParent());
            Path written = Files.createTempFile(keyFile.toAbsolutePath().getParent(), ".session-key", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(written, key);
            Files.move(written, keyFile, StandardCopyOption.ATOMIC_MOVE);
        }
        return new AppSessions(clock, key);
    }

    /** A new secret for a start URL: good once, for {@link #SECRET_LIFETIME}. */
    public synchronized String newSecret() {
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        secrets.put(digest(secret), clock.millis() + SECRET_LIFETIME.toMillis());
        return secret;
    }

    /** A session token for the secret, which is used up; empty for a wrong, used or expired one. */
    synchronized Optional<String> trade(String secret) {
        long now = clock.millis();
        secrets.values().removeIf(expiry -> expiry < now);
        // Map lookup by digest: the secret itself is never compared byte by byte.
        if (secrets.remove(digest(secret)) == null) {
            return Optional.empty();
        }
        ByteBuffer payload = ByteBuffer.allocate(NONCE_BYTES + Long.BYTES);
        payload.put(randomBytes(NONCE_BYTES)).putLong(now + SESSION_LIFETIME.toMillis());
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        return Optional.of(base64.encodeToString(payload.array()) + "." + base64.encodeToString(sign(payload.array())));
    }

    /** Whether a {@code Cookie} header carries a session that is signed with our key and not expired. */
    boolean authorizes(String cookieHeader) {
        if (cookieHeader == null) {
            return false;
        }
        for (String cookie : cookieHeader.split(";")) {
            String pair = cookie.strip();
            if (pair.startsWith(COOKIE + "=") && valid(pair.substring(COOKIE.length() + 1))) {
                return true;
            }
        }
        return false;
    }

    private boolean valid(String token) {
        int dot = token.indexOf('.');
        if (dot < 0) {
            return false;
        }
        byte[] payload;
        byte[] signature;
        try {
            payload = Base64.getUrlDecoder().decode(token.substring(0, dot));
            signature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (payload.length != NONCE_BYTES + Long.BYTES || !MessageDigest.isEqual(sign(payload), signature)) {
            return false;
        }
        return ByteBuffer.wrap(payload, NONCE_BYTES, Long.BYTES).getLong() > clock.millis();
    }

    /** {@code POST /api/v1/session} with {@code {"secret": "..."}}: 204 with the cookie, or 403. */
    void handle(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            HttpReplies.wrongMethod(exchange, "POST");
            return;
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        Optional<String> session = Optional.empty();
        if (body.length <= MAX_BODY_BYTES) {
            try {
                JsonNode request = JSON.readTree(new String(body, StandardCharsets.UTF_8));
                if (request != null && request.path("secret").isTextual()) {
                    session = trade(request.get("secret").asText());
                }
            } catch (IOException e) {
                // Not JSON: refused below like a wrong secret.
            }
        }
        if (session.isEmpty()) {
            HttpReplies.text(exchange, 403, "this link is not valid (any more); start the app again with: svyaz app");
            return;
        }
        exchange.getResponseHeaders().set("Set-Cookie",
                COOKIE + "=" + session.get() + "; Path=/; Max-Age=" + SESSION_LIFETIME.toSeconds()
                        + "; HttpOnly; SameSite=Strict");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        HttpReplies.empty(exchange, 204);
    }

    private byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] newKey() {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return key;
    }

    private byte[] sign(byte[] payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }

    private static String digest(String token) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
