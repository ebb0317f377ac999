// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.util.UUID;

/**
 * One message waiting for one device.
 *
 * @param sequence assigned by the store on insert; increases with insertion order ({@code 0} before)
 * @param guid 16 random bytes chosen by the server, unique across mailboxes
 * @param envelope the serialized wire Envelope exactly as it will be pushed; its content is ciphertext
 * @param fromStranger sent without proof that the recipient talks to the sender (no access key); such
 *                     entries may fill only a share of a mailbox. Who sent it is not recorded
 */
public record MailboxEntry(long sequence, UUID accountId, int deviceId, byte[] guid, byte[] envelope,
                           long storedAtMillis, boolean fromStranger) {
    /** An entry from someone the recipient talks to (or from its own account). */
    public MailboxEntry(long sequence, UUID accountId, int deviceId, byte[] guid, byte[] envelope, long storedAtMillis) {
        this(sequence, accountId, deviceId, guid, envelope, storedAtMillis, false);
    }
}
