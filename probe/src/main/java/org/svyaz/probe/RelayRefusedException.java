// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.io.IOException;

/** After our token the relay answered with something that is not the server's TLS: it did not open the tunnel. */
final class RelayRefusedException extends IOException {
    RelayRefusedException(Throwable cause) {
        super("the relay did not accept the secret (it answered like a web site); the relay link may be outdated", cause);
    }
}
