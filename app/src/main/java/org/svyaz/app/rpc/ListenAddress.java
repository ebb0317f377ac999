// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A {@code HOST:PORT} to listen on, as typed: {@code 127.0.0.1:7583}, {@code localhost:8080},
 * {@code [::1]:8080}. Port 0 picks a free port.
 */
public record ListenAddress(String host, int port) {
    /** {@code --tcp} without a value: loopback only, signal-cli's port. */
    public static final ListenAddress DEFAULT_TCP = new ListenAddress("127.0.0.1", 7583);
    /** {@code --http} without a value: loopback only, signal-cli's port. */
    public static final ListenAddress DEFAULT_HTTP = new ListenAddress("127.0.0.1", 8080);

    public ListenAddress {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty() || host.startsWith("[")) {
            throw new IllegalArgumentException("host must be a name or an address without brackets: '" + host + "'");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, not " + port);
        }
    }

    /** @throws IllegalArgumentException with a sentence naming what is wrong */
    public static ListenAddress parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, e.g. 127.0.0.1:7583, not '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("write an IPv6 address in brackets, e.g. [::1]:7583, not '" + text + "'");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the port in '" + text + "' is not a number");
        }
        return new ListenAddress(host, port);
    }

    /** Resolves the host now (a name becomes its first address). */
    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    /** As in a URL or a Host header: IPv6 in brackets. */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
