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
        if (unrestricted) {
            return true;
        }
        // Constant time: the comparison must not reveal how many leading bytes were right.
        return accessKey.length == ACCESS_KEY_BYTES && presented.length == ACCESS_KEY_BYTES
                && MessageDigest.isEqual(accessKey, presented);
    }
}
