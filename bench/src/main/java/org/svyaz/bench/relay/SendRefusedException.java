// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

/**
 * A send the server refused or never answered, or that never left because the load tool could not
 * encrypt it; {@link #reason()} is a short code for the report.
 */
public final class SendRefusedException extends RuntimeException {
    private final String reason;

    /**
     * {@code reason}: the server's error code, "CONNECTION" when the answer never came, or
     * "ENCRYPTION" when the message could not be encrypted.
     */
    public SendRefusedException(String reason) {
        super(reason, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
