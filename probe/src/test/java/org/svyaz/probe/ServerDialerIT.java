// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.identity.ServerIdentity;

/** The probe's pinned handshakes against a TLS server that records the name in every ClientHello. */
class ServerDialerIT {
    private static final Duration LIMIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    /**
     * The probe tells SNI filtering apart by handshaking under different names with one address. A
     * handshake that resumed an earlier one's session would carry that session's name instead, and a
     * filter that drops the real name would then look like no filter at all (the lab saw it now and
     * then as an "ok" under SNI_DROPPED).
     */
    @Test
    void everyHandshakeCarriesTheNameItWasGivenAfterAnotherNameWithTheSameAddress() throws Exception {
        ServerIdentity identity = ServerIdentity.loadOrCreate(dataDir);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (SSLServerSocket server = recordingServer(identity, seen)) {
            Thread.ofVirtual().start(() -> serve(server));
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
            ServerDialer dialer = new ServerDialer(List.of(identity.tlsKeyPin()));

            for (String name : List.of("cover.example", "svyaz.test", "cover.example", "svyaz.test")) {
                try (Socket tcp = ServerDialer.connect(address, LIMIT);
                     SSLSocket tls = dialer.serverTls(tcp, address.getPort(), Optional.of(name), LIMIT)) {
                    // Reading lets the client take the server's session ticket, as the probe's reads do.
                    assertThat(tls.getInputStream().read()).isEqualTo(1);
                }
            }

            assertThat(seen).containsExactly("cover.example", "svyaz.test", "cover.example", "svyaz.test");
        }
    }

    private static SSLServerSocket recordingServer(ServerIdentity identity, List<String> seen) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("tls", identity.tlsKey(), new char[0], new Certificate[] {identity.tlsCertificate()});
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, new char[0]);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(managers.getKeyManagers(), null, null);
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 10, InetAddress.getLoopbackAddress());
        SSLParameters parameters = server.getSSLParameters();
        parameters.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
            @Override
            public boolean matches(SNIServerName name) {
                seen.add(((SNIHostName) name).getAsciiName());
                return true;
            }
        }));
        server.setSSLParameters(parameters);
        return server;
    }

    /** Handshakes, sends one byte, waits for the client to close; until the server socket closes. */
    private static void serve(SSLServerSocket server) {
        while (!server.isClosed()) {
            try (SSLSocket socket = (SSLSocket) server.accept()) {
                socket.setSoTimeout((int) LIMIT.toMillis());
                socket.startHandshake();
                socket.getOutputStream().write(1);
                socket.getOutputStream().flush();
                InputStream in = socket.getInputStream();
                while (in.read() >= 0) {
                    // Until the client closes.
                }
            } catch (Exception e) {
                // The next connection, or the end of the test.
            }
        }
    }
}
