// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

/**
 * One device of an account.
 *
 * @param credentialSalt random per device
 * @param credentialHash SHA-256(salt || password); the password itself is never stored
 */
public record Device(int id, int registrationId, byte[] credentialSalt, byte[] credentialHash, long createdAtMillis) {}
