// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.Optional;

/**
 * A conversation (with a contact or a group) as a chat list shows it: its latest message, received
 * or sent, and how many received messages this user has not read.
 *
 * @param lastBody the latest message's text; empty for a file without text or a message deleted for everyone
 */
public record ChatSummary(long lastTimestamp, Optional<String> lastBody, boolean lastOutgoing,
                          int unread) {}
