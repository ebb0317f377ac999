// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.Optional;

/**
 * The message a new message replies to, as the user names it.
 *
 * @param timestamp the quoted message's sent timestamp
 * @param author its author's username; when empty, the message is looked up in the conversation
 */
public record QuoteTarget(long timestamp, Optional<String> author) {}
