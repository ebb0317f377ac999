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
 * @param site a directory served to anyone without the secret; empty: a site made for this relay
 *        on its first start ({@code DATA/site}, see {@link GeneratedSite})
 * @param certificate a PEM certificate (chain) to present instead of a self-signed one, with {@code key}
 * @param key the PEM (PKCS#8) private key of {@code certificate}
 * @param maxConnections slots in all; when they are full, the oldest connection that has not shown
 *        the token gives way to a new one (tunnels never do)
 * @param idleTimeout a tunnel silent this long is closed
 * @param certificate a PEM certificate (chain) to present instead of a self-signed one, with {@code key}
 * @param key the PEM (PKCS#8) private key of {@code certificate}
 * @param maxWithoutTokenPerAddress connections from one address that have not shown the token (yet)
 * @param decoyIdleTimeout a visitor of the decoy site silent this long is closed, as a web server
 *        closes an idle keep-alive connection
 * @param turnUpstream a TURN server's TLS port the relay also tunnels to, for call media; empty: none
 */
public record RelayConfig(Path dataDir, InetSocketAddress listen, InetSocketAddress upstream, String sni,
                          Optional<Path> site, int maxConnections, Duration idleTimeout, Optional<Path> certificate,
                          Optional<Path> key, int maxWithoutTokenPerAddress, Duration decoyIdleTimeout,
                          Optional<InetSocketAddress> turnUpstream) {
    public static final int DEFAULT_MAX_WITHOUT_TOKEN_PER_ADDRESS = 64;
    /** nginx closes an idle keep-alive connection after 75 s and a silent request after 60 s. */
    public static final Duration DEFAULT_DECOY_IDLE_TIMEOUT = Duration.ofSeconds(60);

    public RelayConfig(Path dataDir, InetSocketAddress listen, InetSocketAddress upstream, String sni,
                       Optional<Path> site, int maxConnections, Duration idleTimeout) {
        this(dataDir, listen, upstream, sni, site, maxConnections, idleTimeout, Optional.empty(), Optional.empty());
    }

    public RelayConfig(Path dataDir, InetSocketAddress listen, InetSocketAddress upstream, String sni,
                       Optional<Path> site, int maxConnections, Duration idleTimeout, Optional<Path> certificate,
                       Optional<Path> key) {
        this(dataDir, listen, upstream, sni, site, maxConnections, idleTimeout, certificate, key,
                DEFAULT_MAX_WITHOUT_TOKEN_PER_ADDRESS, DEFAULT_DECOY_IDLE_TIMEOUT);
    }

    public RelayConfig(Path dataDir, InetSocketAddress listen, InetSocketAddress upstream, String sni,
                       Optional<Path> site, int maxConnections, Duration idleTimeout, Optional<Path> certificate,
                       Optional<Path> key, int maxWithoutTokenPerAddress, Duration decoyIdleTimeout) {
        this(dataDir, listen, upstream, sni, site, maxConnections, idleTimeout, certificate, key,
                maxWithoutTokenPerAddress, decoyIdleTimeout, Optional.empty());
    }

    public RelayConfig {
        if (certificate.isPresent() != key.isPresent()) {
            throw new IllegalArgumentException("a certificate needs its key, and a key its certificate");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1");
        }
        if (maxWithoutTokenPerAddress < 1) {
            throw new IllegalArgumentException("maxWithoutTokenPerAddress must be at least 1");
        }
        if (sni == null || sni.isBlank()) {
            throw new IllegalArgumentException("the relay needs a name for its certificate");
        }
    }

    /** The same relay with other limits for connections that have not shown the token. */
    public RelayConfig withoutTokenLimits(int perAddress, Duration decoyIdle) {
        return new RelayConfig(dataDir, listen, upstream, sni, site, maxConnections, idleTimeout, certificate, key,
                perAddress, decoyIdle, turnUpstream);
    }

    /**
     * The same relay, also tunnelling to a TURN server's TLS port for clients that ask with
     * {@link org.svyaz.protocol.RelayToken#TURN_TUNNEL} after their token: call media where the TURN
     * server's own address is blocked.
     */
    public RelayConfig withTurnUpstream(InetSocketAddress turn) {
        return new RelayConfig(dataDir, listen, upstream, sni, site, maxConnections, idleTimeout, certificate, key,
                maxWithoutTokenPerAddress, decoyIdleTimeout, Optional.of(turn));
    }
}
