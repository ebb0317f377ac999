// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.google.protobuf.ByteString;
import org.svyaz.client.net.TurnTlsBridge;
import org.svyaz.protocol.InviteLink;

/**
 * The TURN servers as a browser on this device should be given them: {@code turn:} URIs as they
 * are, and each {@code turns:} URI (TLS, usually on port 443) as a loopback {@code turn:} URI of a
 * {@link TurnTlsBridge} that carries the connection in TLS pinned to the server's key. The bridges
 * live until {@link #close()}.
 */
final class CallRoutes implements AutoCloseable {
    private static final Pattern TLS_URI = Pattern.compile("turns:(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):(\\d{1,5})"
            + "(\\?transport=tcp)?");

    private final Supplier<InviteLink> server;
    private final Map<String, TurnTlsBridge> bridges = new LinkedHashMap<>();
    private boolean closed;

    CallRoutes(Supplier<InviteLink> server) {
        this.server = server;
    }

    /** {@code uris} with every {@code turns:} one replaced by its bridge; one that cannot be bridged is left out. */
    synchronized List<String> forBrowser(List<String> uris) throws IOException {
        if (closed) {
            throw new IOException("the account is closed");
        }
        List<String> result = new ArrayList<>();
        for (String uri : uris) {
            Matcher tls = TLS_URI.matcher(uri);
            if (!uri.startsWith("turns:")) {
                result.add(uri);
            } else if (tls.matches()) {
                TurnTlsBridge bridge = bridges.get(uri);
                if (bridge == null) {
                    String host = tls.group(1).replace("[", "").replace("]", "");
                    List<byte[]> pins = server.get().descriptor().getTlsKeyPinsList().stream()
                            .map(ByteString::toByteArray).toList();
                    bridge = TurnTlsBridge.start(host, Integer.parseInt(tls.group(2)), pins);
                    bridges.put(uri, bridge);
                }
                result.add("turn:127.0.0.1:" + bridge.port() + "?transport=tcp");
            }
        }
        return result;
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
