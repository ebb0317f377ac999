// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/**
 * A contact's identity key changed and the user has not accepted the new one; nothing was sent.
 * The user compares safety numbers and runs {@code trust}.
 */
public final class UntrustedIdentityError extends ClientException {
    private final String username;

    public UntrustedIdentityError(String username) {
        super("The safety number with " + username + " has changed (they may have reinstalled, or someone may be "
                + "intercepting). Compare safety numbers with 'listIdentities " + username + "', then accept with "
                + "'trust -a " + username + "' or 'trust -v SAFETY_NUMBER " + username + "'.", null);
        this.username = username;
    }

    public String username() {
        return username;
    }
}
