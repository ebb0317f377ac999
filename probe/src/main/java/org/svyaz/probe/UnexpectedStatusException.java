// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.io.IOException;

/** The server answered an HTTP request with another status than the one the step needs. */
final class UnexpectedStatusException extends IOException {
    private final int status;

    UnexpectedStatusException(int status, String statusLine) {
        super("the server answered '" + statusLine + "'");
        this.status = status;
    }

    int status() {
        return status;
    }
}
