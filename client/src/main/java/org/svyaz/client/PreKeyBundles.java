// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kem.KEMPublicKey;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.svyaz.protocol.wire.DeviceBundle;

/** One device's prekey bundle as the server hands it out, in libsignal's form for a new session. */
public final class PreKeyBundles {
    private PreKeyBundles() {}

    /** {@code identity}: the account's identity key, which the server sends once for all its devices. */
    public static PreKeyBundle of(IdentityKey identity, DeviceBundle device) throws InvalidKeyException {
        return new PreKeyBundle(device.getRegistrationId(), device.getDeviceId(),
                device.hasPreKey() ? device.getPreKey().getId() : PreKeyBundle.NULL_PRE_KEY_ID,
                device.hasPreKey() ? new ECPublicKey(device.getPreKey().getPublicKey().toByteArray()) : null,
                device.getSignedPreKey().getId(),
                new ECPublicKey(device.getSignedPreKey().getPublicKey().toByteArray()),
                device.getSignedPreKey().getSignature().toByteArray(),
                identity,
                device.getKyberPreKey().getId(),
                new KEMPublicKey(device.getKyberPreKey().getPublicKey().toByteArray()),
                device.getKyberPreKey().getSignature().toByteArray());
    }
}
