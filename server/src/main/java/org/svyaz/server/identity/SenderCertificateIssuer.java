// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import org.signal.libsignal.metadata.certificate.InvalidCertificateException;
import org.signal.libsignal.metadata.certificate.SenderCertificate;
import org.signal.libsignal.metadata.certificate.ServerCertificate;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.ecc.ECPrivateKey;
import org.signal.libsignal.protocol.ecc.ECPublicKey;

/**
 * Issues sealed-sender certificates. A trust root (its public key travels in the server
 * descriptor) signs a server certificate; the server certificate's key signs short-lived sender
 * certificates that say "this account/device has this identity key". Recipients check the chain,
 * so a sealed message proves its sender without the server learning who sent it.
 *
 * <p>Files in the data directory: {@code sealed-trust-root.key}, {@code sealed-server.key},
 * {@code sealed-server.crt}. The trust root's private key is only needed to make a new server
 * certificate; an operator may move it offline after the first start.
 */
public final class SenderCertificateIssuer {
    public static final Duration VALIDITY = Duration.ofDays(1);
    private static final String TRUST_ROOT = "sealed-trust-root.key";
    private static final String SERVER_KEY = "sealed-server.key";
    private static final String SERVER_CERTIFICATE = "sealed-server.crt";
    private static final int KEY_ID = 1;

    private final ECPublicKey trustRoot;
    private final ECPrivateKey serverKey;
    private final ServerCertificate serverCertificate;
    private final Clock clock;

    private SenderCertificateIssuer(ECPublicKey trustRoot, ECPrivateKey serverKey, ServerCertificate serverCertificate,
                                    Clock clock) {
        this.trustRoot = trustRoot;
        this.serverKey = serverKey;
        this.serverCertificate = serverCertificate;
        this.clock = clock;
    }

    public static SenderCertificateIssuer loadOrCreate(Path dataDir, Clock clock) throws IOException {
        try {
            if (!Files.exists(dataDir.resolve(SERVER_CERTIFICATE))) {
                ECKeyPair root = ECKeyPair.generate();
                ECKeyPair server = ECKeyPair.generate();
                ServerCertificate certificate = new ServerCertificate(root.getPrivateKey(), KEY_ID, server.getPublicKey());
                PrivateKeyFiles.write(dataDir.resolve(TRUST_ROOT),
                        Base64.getEncoder().encodeToString(root.getPrivateKey().serialize()));
                PrivateKeyFiles.write(dataDir.resolve(SERVER_KEY),
                        Base64.getEncoder().encodeToString(server.getPrivateKey().serialize()));
                Files.write(dataDir.resolve(SERVER_CERTIFICATE),
                        Base64.getEncoder().encode(certificate.getSerialized()));
            }
            ServerCertificate certificate = new ServerCertificate(
                    Base64.getDecoder().decode(Files.readAllBytes(dataDir.resolve(SERVER_CERTIFICATE))));
            ECPrivateKey serverKey = new ECPrivateKey(readPrivate(dataDir.resolve(SERVER_KEY)));
            ECPublicKey trustRoot = trustRootOf(dataDir, certificate);
            return new SenderCertificateIssuer(trustRoot, serverKey, certificate, clock);
        } catch (InvalidKeyException | InvalidCertificateException | IllegalArgumentException e) {
            throw new IOException("the sealed-sender keys in the data directory are unreadable: " + e.getMessage(), e);
        }
    }

    /** The trust root's public key, from its private key when present, else from the descriptor-safe copy. */
    private static ECPublicKey trustRootOf(Path dataDir, ServerCertificate certificate)
            throws IOException, InvalidKeyException {
        Path publicCopy = dataDir.resolve(TRUST_ROOT + ".pub");
        if (Files.exists(dataDir.resolve(TRUST_ROOT))) {
            ECPublicKey root = new ECPrivateKey(readPrivate(dataDir.resolve(TRUST_ROOT))).publicKey();
            if (!Files.exists(publicCopy)) {
                Files.write(publicCopy, Base64.getEncoder().encode(root.serialize()));
            }
            return root;
        }
        return new ECPublicKey(Base64.getDecoder().decode(Files.readAllBytes(publicCopy)));
    }


    private static byte[] readPrivate(Path file) throws IOException {
        return Base64.getDecoder().decode(Files.readAllBytes(file));
    }

    public ECPublicKey trustRoot() {
        return trustRoot;
    }

    /** A certificate for one device of one account, valid for {@link #VALIDITY}. */
    public SenderCertificate issue(UUID accountId, int deviceId, ECPublicKey identityKey) {
        long expires = clock.millis() + VALIDITY.toMillis();
        return serverCertificate.issue(serverKey, accountId.toString(), Optional.empty(), deviceId, identityKey, expires);
    }
}
