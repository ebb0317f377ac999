// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

/**
 * Who may send sealed messages to an account.
 *
 * @param accessKey 16 bytes derived from the account's profile key, or empty when never set
 * @param unrestricted anyone may send sealed messages, with or without the key
 */
public record SealedSenderAccess(byte[] accessKey, boolean unrestricted) {
    public static final int ACCESS_KEY_BYTES = 16;
}
