// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The web app's files, from {@code /web/} in the jar: everything the page loads comes from here, never
 * from a CDN a censor could block or a third party could change. Every page carries a
 * Content-Security-Policy that allows scripts and styles from this origin only, none inline.
 */
final class StaticAssets {
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; "
            + "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static final String ROOT = "/web";
    /** Letters, digits and single dots inside names: no "..", no encoded tricks reach the class loader. */
    private static final Pattern SAFE_PATH = Pattern.compile("(/[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*)+");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "json", "application/json",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "woff2", "font/woff2",
            "mp3", "audio/mpeg");

    void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            HttpReplies.wrongMethod(exchange, "GET");
            return;
        }
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/")) {
            path = "/index.html";
        }
        String extension = path.substring(path.lastIndexOf('.') + 1);
        if (!SAFE_PATH.matcher(path).matches() || !TYPES.containsKey(extension)) {
            HttpReplies.text(exchange, 404, "no such file");
            return;
        }
        byte[] content;
        try (InputStream in = StaticAssets.class.getResourceAsStream(ROOT + path)) {
            if (in == null) {
                HttpReplies.text(exchange, 404, "no such file");
                return;
            }
            content = in.readAllBytes();
        }
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", TYPES.get(extension));
        headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("Cross-Origin-Opener-Policy", "same-origin");
        // The app changes with the jar; the browser must ask again rather than run an old copy.
        headers.set("Cache-Control", "no-cache");
        if (method.equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(200, content.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(content);
        }
    }
}
