// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.google.protobuf.ByteString;
import org.svyaz.client.net.TurnTlsBridge;
import org.svyaz.protocol.RelayLink;

/**
 * The TURN servers as a browser on this device should be given them. {@code turn:} URIs go as they
 * are. Each {@code turns:} URI (TLS, usually on port 443) becomes loopback {@code turn:} URIs of
 * {@link TurnTlsBridge}s that carry the connection in TLS pinned to the server's key: one straight
 * to it, and one through each of the first {@value #RELAYS} relays this account knows, for when its
 * address is blocked. With "relays only" the browser gets only the bridges through relays, so a call
 * never touches the server's own addresses either. The bridges live until {@link #close()}.
 */
final class CallRoutes implements AutoCloseable {
    /** Relays a call may go through; the browser tries every route at once, so a few are enough. */
    static final int RELAYS = 2;
    private static final Pattern TLS_URI = Pattern.compile("turns:(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):(\\d{1,5})"
            + "(\\?transport=tcp)?");

    private final AccountSettings settings;
    /** By the TLS URI and the relay's address ("" for none). */
    private final Map<String, TurnTlsBridge> bridges = new LinkedHashMap<>();
    private boolean closed;

    CallRoutes(AccountSettings settings) {
        this.settings = settings;
    }

    /** {@code uris} as the browser should be given them (see the class); one that cannot be bridged is left out. */
    synchronized List<String> forBrowser(List<String> uris) throws IOException {
        if (closed) {
            throw new IOException("the account is closed");
        }
        boolean relaysOnly = settings.relaysOnly();
        List<RelayLink> relays = settings.relays().stream().limit(RELAYS).toList();
        List<String> result = new ArrayList<>();
        for (String uri : uris) {
            Matcher tls = TLS_URI.matcher(uri);
            if (!uri.startsWith("turns:")) {
                if (!relaysOnly) {
                    result.add(uri);
                }
            } else if (tls.matches()) {
                String host = tls.group(1).replace("[", "").replace("]", "");
                int port = Integer.parseInt(tls.group(2));
                if (!relaysOnly) {
                    result.add(bridgeUri(uri, host, port, Optional.empty()));
                }
                for (RelayLink relay : relays) {
                    result.add(bridgeUri(uri, host, port, Optional.of(relay)));
                }
            }
        }
        return result;
    }

    private String bridgeUri(String uri, String host, int port, Optional<RelayLink> relay) throws IOException {
        String key = uri + " " + relay.map(r -> r.descriptor().getHost() + ":" + r.descriptor().getPort()).orElse("");
        TurnTlsBridge bridge = bridges.get(key);
        if (bridge == null) {
            List<byte[]> pins = settings.server().descriptor().getTlsKeyPinsList().stream()
                    .map(ByteString::toByteArray).toList();
            bridge = TurnTlsBridge.start(host, port, pins, relay);
            bridges.put(key, bridge);
        }
        return "turn:127.0.0.1:" + bridge.port() + "?transport=tcp";
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (TurnTlsBridge bridge : bridges.values()) {
            try {
                bridge.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        bridges.clear();
    }
}
