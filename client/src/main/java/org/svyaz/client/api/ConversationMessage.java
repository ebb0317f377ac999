// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A message of a conversation as this device stores it now, received or sent, with what happened
 * to it since: edits, a delete for everyone, reactions and (for sent ones) receipts.
 *
 * @param author who wrote it
 * @param timestamp its sent timestamp, the name replies, reactions, edits and deletes use
 * @param outgoing this account sent it
 * @param body the current text; empty for a message without text and after a delete for everyone
 * @param editedAt the sent timestamp of the latest edit, if it was edited
 * @param remoteDeleted its author deleted it for everyone
 * @param quote the message it replies to
 * @param reactions each reactor's emoji
 * @param deliveredAt for a sent message: when the recipient's device said it arrived (server time);
 *     in a group, when the last of its members did (see {@link GroupReceiptState})
 * @param readAt for a sent message: when the recipient said they read it (in a group: the last of
 *     them); for a received one: when this user read it ({@code sendReceipt} of type read marks it)
 * @param viewedAt for a sent message: when the recipient said they viewed it (in a group: the last of them)
 * @param attachments the files of a received message (files this device sent are not kept with it)
 */
public record ConversationMessage(UUID author, long timestamp, boolean outgoing, Optional<String> body,
                                  Optional<Long> editedAt, boolean remoteDeleted, Optional<Quote> quote,
                                  Map<UUID, String> reactions, Optional<Long> deliveredAt, Optional<Long> readAt,
                                  Optional<Long> viewedAt, List<ReceivedAttachment> attachments) {
    public ConversationMessage {
        reactions = Map.copyOf(reactions);
        attachments = List.copyOf(attachments);
    }
}
