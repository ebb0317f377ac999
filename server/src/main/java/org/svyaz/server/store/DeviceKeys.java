// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.util.List;
import java.util.Optional;

/**
 * The public keys a device brings when its account is created or its identity reset, stored in
 * the same transaction as the account (see {@link AccountStore#create} and
 * {@link AccountStore#replaceIdentity}).
 */
public record DeviceKeys(Optional<PublicPreKey> signedPreKey, Optional<PublicPreKey> kyberLastResort,
                         List<PublicPreKey> preKeys, List<PublicPreKey> kyberPreKeys) {
    /** No keys at all: for stores' own tests and benchmarks that need an account but no sessions. */
    public static final DeviceKeys NONE = new DeviceKeys(Optional.empty(), Optional.empty(), List.of(), List.of());

    public DeviceKeys {
        preKeys = List.copyOf(preKeys);
        kyberPreKeys = List.copyOf(kyberPreKeys);
    }
}
