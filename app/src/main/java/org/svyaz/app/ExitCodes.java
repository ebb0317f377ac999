// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import org.svyaz.app.rpc.RpcErrorCode;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.GroupAccessException;
import org.svyaz.client.api.LocalFailureException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.api.UnknownUserException;
import org.svyaz.client.api.UntrustedIdentityError;
import org.svyaz.client.api.UserInputException;
import org.svyaz.client.api.UsernameTakenException;
import org.svyaz.protocol.InvalidInviteLinkException;

/** Exit codes, as signal-cli defines them, so scripts written for it read ours the same way. */
public final class ExitCodes {
    static final int OK = 0;
    static final int USER_ERROR = 1;
    static final int UNEXPECTED = 2;
    static final int SERVER_OR_NETWORK = 3;
    static final int UNTRUSTED_IDENTITY = 4;
    static final int RATE_LIMITED = 5;

    private ExitCodes() {}

    public static int of(Exception exception) {
        if (exception instanceof ClientException clientException) {
            return switch (clientException) {
                case UserInputException e -> USER_ERROR;
                case UnknownUserException e -> USER_ERROR;
                case GroupAccessException e -> USER_ERROR;
                case UsernameTakenException e -> USER_ERROR;
                case UntrustedIdentityError e -> UNTRUSTED_IDENTITY;
                case RateLimitedException e -> RATE_LIMITED;
                case ServerRejectedException e -> SERVER_OR_NETWORK;
                case NetworkException e -> SERVER_OR_NETWORK;
                case LocalFailureException e -> UNEXPECTED;
            };
        }
        if (exception instanceof RpcException rpc) {
            // The daemon's codes are the exit codes negated; JSON-RPC's own mean a wrong call or a bug.
            int code = -rpc.code();
            if (code >= USER_ERROR && code <= RATE_LIMITED) {
                return code;
            }
            return rpc.code() == RpcErrorCode.INTERNAL_ERROR || rpc.code() == RpcErrorCode.PARSE_ERROR
                    ? UNEXPECTED : USER_ERROR;
        }
        if (exception instanceof InvalidInviteLinkException || exception instanceof CommandLineException) {
            return USER_ERROR;
        }
        if (exception instanceof UnreachableServiceException) {
            return SERVER_OR_NETWORK;
        }
        return UNEXPECTED;
    }

    /** A sentence for the person at the terminal. */
    public static String describe(Exception exception) {
        if (exception instanceof ClientException || exception instanceof CommandLineException
                || exception instanceof UnreachableServiceException || exception instanceof RpcException) {
            return exception.getMessage();
        }
        if (exception instanceof InvalidInviteLinkException) {
            return "That link is not valid: " + exception.getMessage();
        }
        return "Unexpected error (" + exception.getClass().getSimpleName() + "): " + exception.getMessage();
    }
}
