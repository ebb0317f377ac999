// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.Optional;
import java.util.UUID;

/**
 * Someone this account knows: a username the server confirmed, and what is known here about them.
 *
 * @param profileName the name from their profile as last fetched here; empty when none was fetched
 *     or they set none (listing contacts never goes to the network)
 * @param expirationSeconds the disappearing-message timer of the conversation, 0 when off
 */
public record ContactInfo(UUID accountId, String username, Optional<String> profileName, int expirationSeconds) {}
