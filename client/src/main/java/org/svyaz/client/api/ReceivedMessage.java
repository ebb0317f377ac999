// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.Optional;
import java.util.UUID;

/**
 * A message as the user sees it.
 *
 * @param sourceUsername the sender's username, when confirmed against the server's lookup
 * @param sourceName the sender's profile name, decrypted with the profile key they sent us
 * @param body the text; empty when the message could not be decrypted ({@code error} says why)
 * @param untrusted the sender's identity key changed and the user has not accepted it yet
 * @param expiresInSeconds the conversation's disappearing timer carried by this message (0: off)
 * @param timerUpdate the message only announces a new disappearing timer
 * @param attachments the files that came with it, saved on this device
 */
public record ReceivedMessage(long localId, UUID sourceAccount, Optional<String> sourceUsername,
                              Optional<String> sourceName, int sourceDevice,
                              long timestamp, long serverTimestamp, Optional<String> body, Optional<String> error,
                              boolean untrusted, int expiresInSeconds, boolean timerUpdate,
                              java.util.List<ReceivedAttachment> attachments) {
    public ReceivedMessage {
        attachments = java.util.List.copyOf(attachments);
    }

    /** What to show as the sender: the username, or the account id when none is confirmed. */
    public String source() {
        return sourceUsername.orElse(sourceAccount.toString());
    }
}
