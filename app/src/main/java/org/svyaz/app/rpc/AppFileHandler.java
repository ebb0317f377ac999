// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The web app's file transfers: {@code POST /api/v1/upload?filename=NAME} stores the body as a file
 * that {@code send} can then attach (answer: {@code {"path": …}}), and
 * {@code GET /api/v1/attachments/ID?account=NAME[&type=TYPE][&download=1]} serves a received file.
 */
final class AppFileHandler {
    static final String UPLOAD = "/api/v1/upload";
    static final String ATTACHMENTS = "/api/v1/attachments/";
    /** As large as the server takes by default (server --max-attachment-mb). */
    static final long MAX_UPLOAD_BYTES = 100L * 1024 * 1024;
    /** Uploads nobody sent within this time are removed at the next upload. */
    private static final Duration UPLOAD_LIFETIME = Duration.ofHours(6);
    /** Types a page may show inline; anything else is served as bytes to save. */
    private static final Set<String> INLINE_PREFIXES = Set.of("image/", "audio/", "video/");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AppFiles files;

    AppFileHandler(AppFiles files) {
        this.files = files;
    }

    void upload(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            HttpReplies.wrongMethod(exchange, "POST");
            return;
        }
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && declared.strip().matches("\\d{1,18}")
                && Long.parseLong(declared.strip()) > MAX_UPLOAD_BYTES) {
            // Refused before reading: a browser sends a file's length first.
            tooLarge(exchange);
            return;
        }
        String name = safeName(query(exchange).getOrDefault("filename", "file"));
        Path folder = files.uploads();
        Files.createDirectories(folder);
        removeOld(folder);
        Path own = Files.createTempDirectory(folder, "u", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path target = own.resolve(name);
        long written = 0;
        try (InputStream in = exchange.getRequestBody();
             OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                written += n;
                if (written > MAX_UPLOAD_BYTES) {
                    break;
                }
                out.write(buffer, 0, n);
            }
        }
        if (written > MAX_UPLOAD_BYTES) {
            deleteQuietly(target);
            deleteQuietly(own);
            tooLarge(exchange);
            return;
        }
        HttpReplies.json(exchange, 200, JSON.createObjectNode().put("path", target.toString()).toString());
    }

    private static void tooLarge(HttpExchange exchange) throws IOException {
        HttpReplies.text(exchange, 413, "files are limited to " + MAX_UPLOAD_BYTES / (1024 * 1024) + " MiB");
    }

    void download(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("GET")) {
            HttpReplies.wrongMethod(exchange, "GET");
            return;
        }
        String id = exchange.getRequestURI().getPath().substring(ATTACHMENTS.length());
        Map<String, String> query = query(exchange);
        Path file;
        try {
            file = files.received(query.getOrDefault("account", ""), id);
        } catch (RpcException e) {
            HttpReplies.text(exchange, 404, e.getMessage());
            return;
        }
        String type = query.getOrDefault("type", "");
        boolean inline = INLINE_PREFIXES.stream().anyMatch(type::startsWith) && !query.containsKey("download")
                && type.matches("[a-z]+/[A-Za-z0-9.+-]+");
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", inline ? type : "application/octet-stream");
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Cache-Control", "private, no-store");
        String name = safeName(query.getOrDefault("filename", id));
        headers.set("Content-Disposition", (inline ? "inline" : "attachment") + "; filename*=UTF-8''"
                + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
        exchange.sendResponseHeaders(200, Files.size(file));
        try (OutputStream out = exchange.getResponseBody()) {
            Files.copy(file, out);
        }
    }

    /** A file name without folders or control characters; what the receiver sees as its name. */
    static String safeName(String name) {
        String base = name.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1).replaceAll("\\p{Cntrl}", "").strip();
        if (base.isEmpty() || base.equals(".") || base.equals("..")) {
            return "file";
        }
        return base.length() > 200 ? base.substring(base.length() - 200) : base;
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> values = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) {
            return values;
        }
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String key = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            values.putIfAbsent(key, value);
        }
        return values;
    }

    private static void removeOld(Path folder) throws IOException {
        Instant oldest = Instant.now().minus(UPLOAD_LIFETIME);
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path entry : entries.toList()) {
                if (Files.getLastModifiedTime(entry).toInstant().isBefore(oldest)) {
                    try (Stream<Path> inside = Files.list(entry)) {
                        inside.forEach(AppFileHandler::deleteQuietly);
                    }
                    deleteQuietly(entry);
                }
            }
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // Removed at the next upload's clean-up.
        }
    }
}
