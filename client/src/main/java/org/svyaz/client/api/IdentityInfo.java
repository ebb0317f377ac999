// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.util.UUID;

/**
 * A contact's identity as this device knows it.
 *
 * @param safetyNumber 60 digits both users see identically when no one is in the middle
 * @param trust UNTRUSTED, TRUSTED_UNVERIFIED or TRUSTED_VERIFIED
 */
public record IdentityInfo(String username, UUID accountId, String safetyNumber, String trust, long addedAtMillis) {}
