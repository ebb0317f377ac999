// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

/**
 * A public prekey as the device uploaded it. {@code signature} is empty for one-time EC prekeys.
 */
public record PublicPreKey(int id, byte[] publicKey, byte[] signature) {}
