// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.account;

/** Who may create an account. */
public enum RegistrationPolicy {
    /** Anyone who has the invite link. */
    OPEN,
    /** Only holders of a one-time invite code made with {@code svyaz server invite}. */
    INVITE
}
