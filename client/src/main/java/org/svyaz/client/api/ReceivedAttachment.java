// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A file received with a message.
 *
 * @param path where the decrypted file was saved; empty when it could not be fetched or checked
 * @param error why not, for the user
 */
public record ReceivedAttachment(Optional<Path> path, String fileName, long size, String contentType,
                                 Optional<String> error) {}
