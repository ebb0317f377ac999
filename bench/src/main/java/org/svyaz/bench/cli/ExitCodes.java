// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

import org.svyaz.bench.BenchException;
import org.svyaz.protocol.InvalidInviteLinkException;

/**
 * Exit codes of {@code svyaz bench}: the launcher's numbers (app's ExitCodes, as signal-cli defines
 * them), of which the load tool uses four, so a script reads {@code svyaz bench} as it reads
 * {@code svyaz}.
 */
final class ExitCodes {
    static final int OK = 0;
    static final int USER_ERROR = 1;
    static final int UNEXPECTED = 2;
    static final int SERVER_OR_NETWORK = 3;

    private ExitCodes() {}

    static int of(Exception exception) {
        return switch (exception) {
            case CommandLineException e -> USER_ERROR;
            case InvalidInviteLinkException e -> USER_ERROR;
            case BenchException e -> SERVER_OR_NETWORK;
            default -> UNEXPECTED;
        };
    }

    /** A sentence for the person at the terminal. */
    static String describe(Exception exception) {
        return switch (exception) {
            case CommandLineException e -> e.getMessage();
            case BenchException e -> e.getMessage();
            case InvalidInviteLinkException e -> "That link is not valid: " + e.getMessage();
            default -> "Unexpected error (" + exception.getClass().getSimpleName() + "): " + exception.getMessage();
        };
    }
}
