// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import org.svyaz.protocol.wire.ErrorCode;

/** The server answered with an error the client cannot resolve by itself. */
public final class ServerRejectedException extends ClientException {
    private final ErrorCode code;

    public ServerRejectedException(ErrorCode code, String message) {
        super(message, null);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
