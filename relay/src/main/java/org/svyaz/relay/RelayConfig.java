// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * @param dataDir holds the relay's secret and, unless given, its self-signed certificate
 * @param listen where clients (and everyone else) connect
 * @param upstream the server the relay forwards to
 * @param sni the innocuous name in the relay's certificate and in clients' ClientHello
 * @param site a directory served to anyone without the secret; empty: a built-in page
 * @param certificate a PEM certificate (chain) to present instead of a self-signed one, with {@code key}
 * @param key the PEM (PKCS#8) private key of {@code certificate}
 * @param maxConnections connections beyond this are closed at once
 * @param idleTimeout a connection silent this long is closed
 */
public record RelayConfig(Path dataDir, InetSocketAddress listen, InetSocketAddress upstream, String sni,
                          Optional<Path> site, int maxConnections, Duration idleTimeout, Optional<Path> certificate,
                          Optional<Path> key) {
    public RelayConfig(Path dataDir, InetSocketAddress listen, InetSocketAddress upstream, String sni,
                       Optional<Path> site, int maxConnections, Duration idleTimeout) {
        this(dataDir, listen, upstream, sni, site, maxConnections, idleTimeout, Optional.empty(), Optional.empty());
    }

    public RelayConfig {
        if (certificate.isPresent() != key.isPresent()) {
            throw new IllegalArgumentException("a certificate needs its key, and a key its certificate");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1");
        }
        if (sni == null || sni.isBlank()) {
            throw new IllegalArgumentException("the relay needs a name for its certificate");
        }
    }
}
