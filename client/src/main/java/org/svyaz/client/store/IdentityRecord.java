// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import org.signal.libsignal.protocol.IdentityKey;

/** A contact's identity key as this device knows it. */
public record IdentityRecord(String address, IdentityKey identityKey, TrustLevel trust, long addedAtMillis) {}
