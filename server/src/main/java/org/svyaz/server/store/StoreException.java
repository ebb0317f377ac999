// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

/** The store failed (disk full, database corrupt, closed); the caller answers UNAVAILABLE. */
public final class StoreException extends Exception {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
