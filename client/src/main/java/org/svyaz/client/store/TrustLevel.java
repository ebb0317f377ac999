// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

/** How far the user trusts a contact's identity key. Stored as the ordinal; append only. */
public enum TrustLevel {
    /** The key changed and the user has not accepted the new one: sending is refused. */
    UNTRUSTED,
    /** First seen key, accepted without comparing safety numbers (trust on first use). */
    TRUSTED_UNVERIFIED,
    /** The user compared safety numbers and confirmed this key. */
    TRUSTED_VERIFIED
}
