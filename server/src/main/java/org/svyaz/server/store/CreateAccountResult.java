// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

/** What {@link AccountStore#create} did. */
public sealed interface CreateAccountResult {
    /** The account exists now and holds the username hash at {@code usernameIndex}. */
    record Created(int usernameIndex) implements CreateAccountResult {}

    /** Every offered username hash is already held; nothing was written. */
    record UsernamesTaken() implements CreateAccountResult {}

    /** The invite code is unknown, used or expired; nothing was written. */
    record InviteRejected() implements CreateAccountResult {}
}
