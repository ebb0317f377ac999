// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.UUID;

/**
 * The earlier message a message replies to.
 *
 * @param id the quoted message's sent timestamp
 * @param author the quoted message's author
 * @param text the quoted text as the replying side had it; empty once the quoted message was
 *     deleted for everyone
 */
public record Quote(long id, UUID author, String text) {}
