// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Who may use the web app: {@code svyaz app} prints a URL carrying a one-time secret, and the page
 * trades it ({@code POST /api/v1/session}) for a session cookie (HttpOnly, SameSite=Strict). Other
 * users of the machine can reach 127.0.0.1 too; without the secret they get nothing. Only digests
 * are kept, and compared in constant time.
 */
public final class AppSessions {
    static final String COOKIE = "svyaz-session";
    static final String PATH = "/api/v1/session";
    /** Long enough to open the browser; a secret nobody traded in by then is useless. */
    static final Duration SECRET_LIFETIME = Duration.ofMinutes(10);
    private static final int MAX_BODY_BYTES = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SecureRandom random = new SecureRandom();
    private final Clock clock;
    /** Guarded by this: secret digest (base64) to its expiry in epoch millis. */
    private final Map<String, Long> secrets = new HashMap<>();
    /** Guarded by this: session token digests (base64). */
    private final Set<String> sessions = new HashSet<>();

    public AppSessions(Clock clock) {
        this.clock = clock;
    }

    /** A new secret for a start URL: good once, for {@link #SECRET_LIFETIME}. */
    public synchronized String newSecret() {
        String secret = randomToken();
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
        String session = randomToken();
        sessions.add(digest(session));
        return Optional.of(session);
    }

    /** Whether a {@code Cookie} header carries a session. */
    synchronized boolean authorizes(String cookieHeader) {
        if (cookieHeader == null) {
            return false;
        }
        for (String cookie : cookieHeader.split(";")) {
            String pair = cookie.strip();
            if (pair.startsWith(COOKIE + "=") && sessions.contains(digest(pair.substring(COOKIE.length() + 1)))) {
                return true;
            }
        }
        return false;
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
                COOKIE + "=" + session.get() + "; Path=/; HttpOnly; SameSite=Strict");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        HttpReplies.empty(exchange, 204);
    }

    private String randomToken() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
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
