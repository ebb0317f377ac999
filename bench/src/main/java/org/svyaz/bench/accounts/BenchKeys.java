// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.accounts;

import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;

/**
 * The key material a benchmark user registered with, kept in memory (never on disk) only by the
 * scenarios that encrypt with libsignal: the private halves let the user accept sessions, the
 * public halves and signatures are what the server hands out as the user's prekey bundle.
 *
 * @param signedPreKeyId the id of {@code signedPreKey} as uploaded
 * @param signedPreKeySignature the identity's signature over the signed prekey's public key
 * @param kyberPreKeyId the id of the Kyber last-resort key as uploaded
 * @param kyberPreKeySignature the identity's signature over the Kyber public key
 */
public record BenchKeys(IdentityKeyPair identity, int signedPreKeyId, ECKeyPair signedPreKey,
        byte[] signedPreKeySignature, int kyberPreKeyId, KEMKeyPair kyberPreKey, byte[] kyberPreKeySignature) {}
