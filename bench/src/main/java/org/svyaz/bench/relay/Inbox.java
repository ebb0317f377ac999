// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

/** Where a {@link UserSession} hands every message that reaches its user: the exact bytes sent. */
@FunctionalInterface
public interface Inbox {
    void arrived(byte[] blob);
}
