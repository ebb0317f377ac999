// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.cluster;

import java.io.IOException;

/**
 * Redis did not answer when a cluster node started. A running node survives Redis going away (it
 * falls back to its mailboxes), but a node that never reached it would not know the cluster exists.
 */
public final class RedisUnavailableException extends IOException {
    public RedisUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
