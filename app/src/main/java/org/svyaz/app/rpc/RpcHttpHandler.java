// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code POST /api/v1/rpc}: one request or a batch in the body, the reply in the response (200,
 * application/json). A body of notifications only gets 204. Over {@code maxBodyBytes}: 413.
 */
final class RpcHttpHandler implements HttpHandler {
    private final RpcDispatcher dispatcher;
    private final int maxBodyBytes;

    RpcHttpHandler(RpcDispatcher dispatcher, int maxBodyBytes) {
        this.dispatcher = dispatcher;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            HttpReplies.wrongMethod(exchange, "POST");
            return;
        }
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && isLongerThan(declared, maxBodyBytes)) {
            tooLarge(exchange);
            return;
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            // One byte more than allowed tells an oversized chunked body from one exactly at the limit.
            body = in.readNBytes(maxBodyBytes + 1);
        }
        if (body.length > maxBodyBytes) {
            tooLarge(exchange);
            return;
        }
        Optional<String> reply = dispatcher.handle(new String(body, StandardCharsets.UTF_8), HttpPeer.INSTANCE);
        if (reply.isEmpty()) {
            HttpReplies.empty(exchange, 204);
        } else {
            HttpReplies.json(exchange, 200, reply.get());
        }
    }

    private void tooLarge(HttpExchange exchange) throws IOException {
        HttpReplies.text(exchange, 413, "request body larger than " + maxBodyBytes + " bytes");
    }

    private static boolean isLongerThan(String contentLength, long limit) {
        try {
            return Long.parseLong(contentLength.strip()) > limit;
        } catch (NumberFormatException e) {
            return false; // The server itself rejects a malformed length; the read below is bounded anyway.
        }
    }
}
