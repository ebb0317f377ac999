// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The server's long-lived keys, created on first start in the data directory:
 * an Ed25519 identity key that signs descriptors ({@code identity.key}, {@code identity.pub}) and a
 * self-signed TLS certificate ({@code tls.crt}, {@code tls.key}). Clients pin the certificate's
 * public key, so the certificate's names and dates do not matter to them.
 */
public final class ServerIdentity {
    private static final String IDENTITY_PRIVATE = "identity.key";
    private static final String IDENTITY_PUBLIC = "identity.pub";
    private static final String TLS_CERTIFICATE = "tls.crt";
    private static final String TLS_KEY = "tls.key";

    private final KeyPair identity;
    private final PrivateKey tlsKey;
    private final X509Certificate tlsCertificate;

    private ServerIdentity(KeyPair identity, PrivateKey tlsKey, X509Certificate tlsCertificate) {
        this.identity = identity;
        this.tlsKey = tlsKey;
        this.tlsCertificate = tlsCertificate;
    }

    /** Loads the keys from {@code dataDir}, creating any that are missing. */
    public static ServerIdentity loadOrCreate(Path dataDir) throws IOException {
        try {
            KeyPair identity = Files.exists(dataDir.resolve(IDENTITY_PRIVATE))
                    ? loadIdentity(dataDir)
                    : createIdentity(dataDir);
            if (!Files.exists(dataDir.resolve(TLS_CERTIFICATE)) || !Files.exists(dataDir.resolve(TLS_KEY))) {
                createTls(dataDir);
            }
            PrivateKey tlsKey = KeyFactory.getInstance("EC")
                    .generatePrivate(new PKCS8EncodedKeySpec(Pem.decode(Files.readString(dataDir.resolve(TLS_KEY)))));
            X509Certificate certificate;
            try (InputStream in = Files.newInputStream(dataDir.resolve(TLS_CERTIFICATE))) {
                certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            return new ServerIdentity(identity, tlsKey, certificate);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("the server keys in the data directory are unreadable: " + e.getMessage(), e);
        }
    }

    private static KeyPair loadIdentity(Path dataDir) throws IOException, GeneralSecurityException {
        KeyFactory factory = KeyFactory.getInstance("Ed25519");
        PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(
                Pem.decode(Files.readString(dataDir.resolve(IDENTITY_PRIVATE)))));
        PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(
                Pem.decode(Files.readString(dataDir.resolve(IDENTITY_PUBLIC)))));
        return new KeyPair(publicKey, privateKey);
    }

    private static KeyPair createIdentity(Path dataDir) throws IOException, GeneralSecurityException {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        PrivateKeyFiles.write(dataDir.resolve(IDENTITY_PRIVATE), Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(dataDir.resolve(IDENTITY_PUBLIC), Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded()));
        return pair;
    }

    private static void createTls(Path dataDir) throws IOException, GeneralSecurityException, OperatorCreationException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        // An innocuous name: the certificate is visible to anyone who connects, and clients ignore it.
        X500Name name = new X500Name("CN=localhost");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))), name,
                pair.getPublic());
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        PrivateKeyFiles.write(dataDir.resolve(TLS_KEY), Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(dataDir.resolve(TLS_CERTIFICATE), Pem.encode("CERTIFICATE", certificate.getEncoded()));
    }


    public KeyPair identityKeyPair() {
        return identity;
    }

    public PrivateKey tlsKey() {
        return tlsKey;
    }

    public X509Certificate tlsCertificate() {
        return tlsCertificate;
    }

    /** SHA-256 of the TLS certificate's SubjectPublicKeyInfo: what clients pin. */
    public byte[] tlsKeyPin() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(tlsCertificate.getPublicKey().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
