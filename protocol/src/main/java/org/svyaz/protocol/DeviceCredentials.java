// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * A device's credentials as sent in the WebSocket upgrade's {@code Authorization} header:
 * HTTP Basic with user {@code <account id>.<device id>} and the base64 of the 32-byte password.
 */
public record DeviceCredentials(UUID accountId, int deviceId, byte[] password) {
    public String toAuthorizationHeader() {
        String user = accountId + "." + deviceId;
        String secret = Base64.getEncoder().encodeToString(password);
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a header; empty when it is not well-formed (which the server treats as wrong credentials). */
    public static Optional<DeviceCredentials> parse(String header) {
        if (header == null || !header.startsWith("Basic ") || header.length() > 512) {
            return Optional.empty();
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            int dot = decoded.lastIndexOf('.', colon);
            if (colon < 0 || dot < 0) {
                return Optional.empty();
            }
            UUID accountId = UUID.fromString(decoded.substring(0, dot));
            int deviceId = Integer.parseInt(decoded.substring(dot + 1, colon));
            byte[] password = Base64.getDecoder().decode(decoded.substring(colon + 1));
            return Optional.of(new DeviceCredentials(accountId, deviceId, password));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
