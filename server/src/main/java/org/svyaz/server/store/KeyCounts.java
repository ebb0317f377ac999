// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

/** How many one-time keys a device still has on the server. */
public record KeyCounts(int preKeys, int kyberPreKeys) {}
