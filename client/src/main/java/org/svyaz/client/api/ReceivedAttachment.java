// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A file of a message: received with it, or sent from this device.
 *
 * @param path where the decrypted file (or the copy of a sent one) is; empty when it could not be fetched or checked
 * @param error why not, for the user
 * @param voiceNote a recording to play in the conversation (a spoken message) rather than a file to open
 * @param state whether the file is here, can still be fetched, or never will be
 */
public record ReceivedAttachment(Optional<Path> path, String fileName, long size, String contentType,
                                 Optional<String> error, boolean voiceNote, State state) {

    /** Where a file stands on this device. */
    public enum State {
        /** Saved at {@link #path()}. */
        SAVED,
        /**
         * Not fetched yet: its sender is someone this account never wrote to, or the download broke
         * off. {@code SvyazClient.fetchAttachments} fetches it on request.
         */
        NOT_DOWNLOADED,
        /** Refused before any download: more files in the message, or a larger file, than a message may carry. */
        REFUSED,
        /** Fetched but not saved: it did not match what its sender announced, or could not be written. */
        FAILED
    }
}
