// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.Optional;

/**
 * A message this account sent to a group, with its receipts for the whole group as Signal shows
 * them: delivered once every member it was sent to (and still in the group) has it, read once
 * every one of them read it.
 *
 * @param groupId the group, as listGroups shows it
 * @param timestamp the message's sent timestamp
 * @param deliveredAt when the last of them said it arrived
 * @param readAt when the last of them said they read it
 * @param viewedAt when the last of them said they viewed it
 */
public record GroupReceiptState(String groupId, long timestamp, Optional<Long> deliveredAt, Optional<Long> readAt,
                                Optional<Long> viewedAt) {}
