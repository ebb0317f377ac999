// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.util.UUID;

/**
 * An account as stored: a random id and the account's public identity key. No name, no number.
 *
 * @param identityKey serialized libsignal IdentityKey (public)
 */
public record Account(UUID id, byte[] identityKey, long createdAtMillis) {}
