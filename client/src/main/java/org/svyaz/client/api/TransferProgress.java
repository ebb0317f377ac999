// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/** Hears how an attachment's upload or download advances, for showing progress to the user. */
@FunctionalInterface
public interface TransferProgress {
    TransferProgress NONE = (fileName, upload, done, total) -> { };

    /** {@code done} of {@code total} bytes of the file's encrypted blob have moved. */
    void update(String fileName, boolean upload, long done, long total);
}
