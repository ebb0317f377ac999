// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.time.Instant;
import java.util.List;

/**
 * The server's TURN servers for calls ({@code turn:}/{@code turns:} URIs) with credentials that open
 * them until {@code expiresAt}: what a browser's {@code RTCIceServer} takes.
 */
public record TurnServers(List<String> uris, String username, String password, Instant expiresAt) {
    public TurnServers {
        uris = List.copyOf(uris);
    }
}
