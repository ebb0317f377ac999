// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/**
 * Everything the client library reports to its user. Sealed so that a front end (the CLI) maps
 * each kind to its exit code in one exhaustive switch.
 */
public sealed abstract class ClientException extends Exception
        permits UserInputException, UnknownUserException, UsernameTakenException, UntrustedIdentityError,
        RateLimitedException, ServerRejectedException, NetworkException, LocalFailureException,
        GroupAccessException {

    protected ClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
