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
 */
public record ReceivedAttachment(Optional<Path> path, String fileName, long size, String contentType,
                                 Optional<String> error, boolean voiceNote) {}
