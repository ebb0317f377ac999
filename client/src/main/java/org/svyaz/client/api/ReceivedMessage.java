// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A message as the user sees it, or a signal about the conversation (receipt, typing, reaction,
 * edit, delete for everyone) when {@link #signal()} is present.
 *
 * @param sourceUsername the sender's username, when confirmed against the server's lookup
 * @param sourceName the sender's profile name, decrypted with the profile key they sent us
 * @param body the text; empty when the message could not be decrypted ({@code error} says why),
 *     for a signal, and once the sender deleted it for everyone
 * @param untrusted the sender's identity key changed and the user has not accepted it yet
 * @param expiresInSeconds the conversation's disappearing timer carried by this message (0: off)
 * @param timerUpdate the message only announces a new disappearing timer
 * @param attachments the files that came with it, saved on this device
 * @param quote the earlier message this one replies to
 * @param signal what this envelope said instead of a new message
 * @param notApplied why the signal changed nothing here (unknown target, not the author, ...)
 * @param group the group it was sent to; empty for a one-to-one message
 */
public record ReceivedMessage(long localId, UUID sourceAccount, Optional<String> sourceUsername,
                              Optional<String> sourceName, int sourceDevice,
                              long timestamp, long serverTimestamp, Optional<String> body, Optional<String> error,
                              boolean untrusted, int expiresInSeconds, boolean timerUpdate,
                              List<ReceivedAttachment> attachments, Optional<Quote> quote,
                              Optional<ReceivedSignal> signal, Optional<String> notApplied, Optional<GroupInfo> group) {
    public ReceivedMessage {
        attachments = List.copyOf(attachments);
    }

    /** A message without quote or signal. */
    public ReceivedMessage(long localId, UUID sourceAccount, Optional<String> sourceUsername,
                           Optional<String> sourceName, int sourceDevice,
                           long timestamp, long serverTimestamp, Optional<String> body, Optional<String> error,
                           boolean untrusted, int expiresInSeconds, boolean timerUpdate,
                           List<ReceivedAttachment> attachments) {
        this(localId, sourceAccount, sourceUsername, sourceName, sourceDevice, timestamp, serverTimestamp, body, error,
                untrusted, expiresInSeconds, timerUpdate, attachments, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    /** The same with the sender's confirmed username and profile name. */
    public ReceivedMessage withSender(Optional<String> username, Optional<String> name) {
        return new ReceivedMessage(localId, sourceAccount, username, name, sourceDevice, timestamp, serverTimestamp,
                body, error, untrusted, expiresInSeconds, timerUpdate, attachments, quote, signal, notApplied, group);
    }

    /** What to show as the sender: the username, or the account id when none is confirmed. */
    public String source() {
        return sourceUsername.orElse(sourceAccount.toString());
    }
}
