// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Something a contact's client said about the conversation rather than a new message: a receipt,
 * a typing notice, a reaction, an edit, a delete for everyone or a step in setting up a call. Shown once by {@code receive}
 * (see {@link ReceivedMessage#signal()}); its effect, if any, is applied to the local store when it
 * arrives.
 */
public sealed interface ReceivedSignal {

    /** The contact's device got ({@code DELIVERY}), read or viewed messages this account sent. */
    record Receipt(ReceiptType type, List<Long> timestamps) implements ReceivedSignal {
        public Receipt {
            timestamps = List.copyOf(timestamps);
        }
    }

    /**
     * The contact started or stopped typing; {@code timestamp} is when, by their clock; with
     * {@code groupId}, in that group's conversation.
     */
    record Typing(boolean started, long timestamp, Optional<String> groupId) implements ReceivedSignal {}

    /**
     * The contact reacted to (or, with {@code remove}, withdrew a reaction to) a message; with
     * {@code groupId} (as listGroups shows it), a message of that group.
     */
    record Reaction(String emoji, UUID targetAuthor, long targetSentTimestamp, boolean remove, Optional<String> groupId)
            implements ReceivedSignal {}

    /**
     * The contact changed the text of a message they sent earlier; with {@code groupId}, a message
     * they sent to that group.
     */
    record Edit(long targetSentTimestamp, long editTimestamp, String body, Optional<String> groupId)
            implements ReceivedSignal {}

    /**
     * The contact deleted a message they sent earlier, for everyone; with {@code groupId}, a message
     * they sent to that group.
     */
    record RemoteDelete(long targetSentTimestamp, Optional<String> groupId) implements ReceivedSignal {}

    /** A step in setting up a call with the contact: an offer rings, the rest follow it. */
    record Call(CallStep step) implements ReceivedSignal {}
}
