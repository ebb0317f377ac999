// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The web site shown to everyone without the relay's secret: files from a directory, or a plain
 * built-in page. It only ever serves files inside its directory.
 */
final class DecoySite {
    static final String BUILT_IN_PAGE = """
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Welcome</title></head>
            <body><h1>Welcome</h1><p>This site is under construction.</p></body>
            </html>
            """;
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "htm", "text/html; charset=utf-8", "css", "text/css",
            "js", "text/javascript", "png", "image/png", "jpg", "image/jpeg", "jpeg", "image/jpeg",
            "svg", "image/svg+xml", "ico", "image/x-icon", "txt", "text/plain; charset=utf-8");

    /** A file to send: its bytes and content type. */
    record Page(byte[] body, String contentType) {}

    private final Optional<Path> root;

    DecoySite(Optional<Path> root) {
        this.root = root.map(p -> p.toAbsolutePath().normalize());
    }

    /** The page for a request path, or empty for "not found". */
    Optional<Page> page(String requestPath) {
        String path = requestPath.split("[?#]", 2)[0];
        if (root.isEmpty()) {
            return path.equals("/") || path.equals("/index.html")
                    ? Optional.of(new Page(BUILT_IN_PAGE.getBytes(StandardCharsets.UTF_8), TYPES.get("html")))
                    : Optional.empty();
        }
        Path file = root.get().resolve(path.substring(1)).normalize();
        if (!file.startsWith(root.get())) {
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
            return Optional.of(new Page(Files.readAllBytes(file), TYPES.getOrDefault(extension, "application/octet-stream")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static byte[] notFoundPage() {
        return """
                <!DOCTYPE html>
                <html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>
                """.getBytes(StandardCharsets.UTF_8);
    }
}
