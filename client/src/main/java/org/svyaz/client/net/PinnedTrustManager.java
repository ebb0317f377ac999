// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.net.Socket;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts exactly the servers whose TLS public key hashes to one of the descriptor's pins. No
 * certificate authority and no DNS name is involved, so a censor that controls either cannot
 * substitute a server, and the client can connect to a bare IP address or under any SNI.
 * It is an {@link X509ExtendedTrustManager} so that the JDK calls it as it is instead of wrapping it
 * in a host name check, which would defeat connecting by address or under another name.
 */
public final class PinnedTrustManager extends X509ExtendedTrustManager {
    private final List<byte[]> pins;

    public PinnedTrustManager(List<byte[]> pins) {
        this.pins = List.copyOf(pins);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the server presented no certificate");
        }
        byte[] actual;
        try {
            actual = MessageDigest.getInstance("SHA-256").digest(chain[0].getPublicKey().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new CertificateException("cannot hash the server key", e);
        }
        for (byte[] pin : pins) {
            if (MessageDigest.isEqual(pin, actual)) {
                return;
            }
        }
        throw new CertificateException("the server's TLS key does not match the invite link's pin");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager only checks servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
