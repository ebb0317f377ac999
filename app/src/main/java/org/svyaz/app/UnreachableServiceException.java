// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

/** A service the server needs (its database, Redis) did not answer at start (exit code 3). */
final class UnreachableServiceException extends Exception {
    UnreachableServiceException(String message) {
        super(message);
    }
}
