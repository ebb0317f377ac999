// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

/**
 * @param maxMessageBytes largest ciphertext for one device
 * @param maxMailboxEntries undelivered messages a device may have before sends to it are refused
 */
public record MessageLimits(int maxMessageBytes, int maxMailboxEntries) {
    public MessageLimits {
        if (maxMessageBytes < 1024 || maxMailboxEntries < 1) {
            throw new IllegalArgumentException("message limits too small to be useful");
        }
    }
}
