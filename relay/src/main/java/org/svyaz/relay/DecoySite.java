// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The web site shown to everyone without the relay's secret: the files of a directory (the
 * operator's, or one made for this relay by {@link GeneratedSite}). It only ever serves files
 * inside that directory.
 */
final class DecoySite {
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "htm", "text/html; charset=utf-8", "css", "text/css",
            "js", "text/javascript", "png", "image/png", "jpg", "image/jpeg", "jpeg", "image/jpeg",
            "svg", "image/svg+xml", "ico", "image/x-icon", "txt", "text/plain; charset=utf-8");

    /** A file to send: its bytes, content type and when it last changed (seconds since the epoch). */
    record Page(byte[] body, String contentType, long modifiedSeconds) {
        /** The entity tag nginx gives a static file: its modification time and length, in hex. */
        String etag() {
            return "\"" + Long.toHexString(modifiedSeconds) + "-" + Integer.toHexString(body.length) + "\"";
        }
    }

    private final Path root;

    DecoySite(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The page for a request target, or empty for "not found". */
    Optional<Page> page(String requestTarget) {
        String path = requestTarget.split("[?#]", 2)[0];
        if (!path.startsWith("/")) {
            return Optional.empty();
        }
        Path file;
        try {
            file = root.resolve(path.substring(1)).normalize();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        if (!file.startsWith(root)) {
            return Optional.empty();
        }
        if (Files.isDirectory(file)) {
            file = file.resolve("index.html");
        }
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            String name = file.getFileName().toString();
            String extension = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase() : "";
            return Optional.of(new Page(Files.readAllBytes(file), TYPES.getOrDefault(extension, "application/octet-stream"),
                    Files.getLastModifiedTime(file).toInstant().getEpochSecond()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
