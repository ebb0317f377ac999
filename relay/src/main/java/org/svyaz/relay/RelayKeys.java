// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The relay's TLS key and certificate (created for its innocuous name on first start, unless the
 * operator brings a real one) and its secret, all kept in the relay's data directory.
 * {@code secretCreated}: the secret was made by this start (the first), not read from an earlier one.
 */
record RelayKeys(PrivateKey tlsKey, List<X509Certificate> chain, byte[] secret, boolean secretCreated) {
    private static final String KEY = "relay-tls.key";
    private static final String CERTIFICATE = "relay-tls.crt";
    static final String SECRET = "relay.secret";

    static RelayKeys loadOrCreate(Path dataDir, String sni, Optional<Path> certificateFile,
                                  Optional<Path> keyFile) throws IOException {
        Files.createDirectories(dataDir);
        try {
            Path certificatePath = certificateFile.orElse(dataDir.resolve(CERTIFICATE));
            Path keyPath = keyFile.orElse(dataDir.resolve(KEY));
            if (certificateFile.isEmpty() && !Files.exists(certificatePath)) {
                createCertificate(dataDir, sni);
            }
            boolean secretCreated = !Files.exists(dataDir.resolve(SECRET));
            if (secretCreated) {
                byte[] secret = new byte[32];
                new SecureRandom().nextBytes(secret);
                writePrivate(dataDir.resolve(SECRET), Base64.getEncoder().encodeToString(secret));
            }
            // Every certificate of the file: a fullchain.pem (Let's Encrypt's) holds the intermediate
            // too, and a web server that leaves it out is both broken for browsers and unusual.
            List<X509Certificate> chain = new ArrayList<>();
            try (InputStream in = Files.newInputStream(certificatePath)) {
                for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    chain.add((X509Certificate) certificate);
                }
            }
            if (chain.isEmpty()) {
                throw new IOException(certificatePath + " holds no certificate");
            }
            PrivateKey key = KeyFactory.getInstance(chain.getFirst().getPublicKey().getAlgorithm())
                    .generatePrivate(new PKCS8EncodedKeySpec(pem(Files.readString(keyPath))));
            byte[] secret = Base64.getDecoder().decode(Files.readString(dataDir.resolve(SECRET)).strip());
            return new RelayKeys(key, List.copyOf(chain), secret, secretCreated);
        } catch (GeneralSecurityException | OperatorCreationException | IllegalArgumentException e) {
            throw new IOException("the relay keys in " + dataDir + " are unreadable: " + e.getMessage(), e);
        }
    }

    private static void createCertificate(Path dataDir, String sni)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        X500Name name = new X500Name("CN=" + sni);
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(825))), name,
                pair.getPublic());
        // A subjectAltName like any web server's, so the certificate does not stand out.
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, sni)));
        X509Certificate certificate = new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
        writePrivate(dataDir.resolve(KEY), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        Files.writeString(dataDir.resolve(CERTIFICATE), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    private static byte[] pem(String text) {
        return Base64.getDecoder().decode(text.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", ""));
    }

    private static void writePrivate(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content);
    }

    /** The relay's own certificate, first in its chain. */
    X509Certificate certificate() {
        return chain.getFirst();
    }

    /** SHA-256 of the certificate's public key: the pin clients check. */
    byte[] pin() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(certificate().getPublicKey().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
