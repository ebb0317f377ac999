// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

/**
 * The local database failed (disk full, file damaged). Unchecked because libsignal's store
 * interfaces declare no exception of their own; the client turns it into a user-facing error.
 */
public final class LocalStoreException extends RuntimeException {
    public LocalStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
