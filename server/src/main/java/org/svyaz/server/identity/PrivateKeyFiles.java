// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Private keys are written owner-only (0600) from the moment the file exists. */
final class PrivateKeyFiles {
    private PrivateKeyFiles() {}

    static void write(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content);
    }
}
