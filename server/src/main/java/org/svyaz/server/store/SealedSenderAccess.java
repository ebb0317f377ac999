// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.security.MessageDigest;

/**
 * Who may send sealed messages to an account.
 *
 * @param accessKey 16 bytes derived from the account's profile key, or empty when never set
 * @param unrestricted anyone may send sealed messages, with or without the key
 */
public record SealedSenderAccess(byte[] accessKey, boolean unrestricted) {
    public static final int ACCESS_KEY_BYTES = 16;

    /** Whether {@code presented} opens this access; the key comparison takes constant time. */
    public boolean permits(byte[] presented) {
        return unrestricted || keyMatches(presented);
    }

    /**
     * Whether {@code presented} is this account's access key, which only those it gave its profile
     * key to (the people it writes to) can derive: a sender that presents it is a contact, whether
     * or not the account is open to everyone. Constant time: the comparison must not reveal how
     * many leading bytes were right.
     */
    public boolean keyMatches(byte[] presented) {
        return hasKey() && presented.length == ACCESS_KEY_BYTES && MessageDigest.isEqual(accessKey, presented);
    }

    /** Whether the account has set an access key. */
    public boolean hasKey() {
        return accessKey.length == ACCESS_KEY_BYTES;
    }
}
