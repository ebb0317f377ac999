// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/events}: receive events as Server-Sent Events, each
 * {@code id: N / event: receive / data: {"envelope":…,"account":…}}, and for the web app
 * {@code event: transfer} with a file's progress ({@link ReceiveHub#publishTransfer}). With {@code Last-Event-ID} the
 * stream first replays the kept events after that id (all of them when the id is unknown). An idle stream
 * gets a comment line every heartbeat, so proxies keep it open and a vanished client is noticed.
 */
final class EventStreamHandler implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(EventStreamHandler.class);
    private static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.UTF_8);

    private final EventLog events;
    private final ReceiveHub hub;
    private final Duration heartbeat;

    EventStreamHandler(EventLog events, ReceiveHub hub, Duration heartbeat) {
        this.events = events;
        this.hub = hub;
        this.heartbeat = heartbeat;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("GET")) {
            HttpReplies.wrongMethod(exchange, "GET");
            return;
        }
        String lastEventId = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        // Without Last-Event-ID the stream starts now; an unparsable one counts as unknown.
        long last = lastEventId == null ? events.lastId() : parseOrUnknown(lastEventId);
        hub.eventStreamOpened();
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            stream(out, last);
        } catch (IOException e) {
            log.debug("Event stream ended: {}", e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stream(OutputStream out, long last) throws IOException, InterruptedException {
        out.flush(); // The headers now: a client learns that the stream is open before the first event.
        boolean replay = true;
        while (!events.isClosed()) {
            EventLog.Page page = events.after(last);
            List<EventLog.Event> batch = page.events();
            if (!replay && !batch.isEmpty() && batch.getFirst().id() > last + 1) {
                log.warn("An event stream fell more than {} events behind and missed {}",
                        EventLog.KEPT, batch.getFirst().id() - last - 1);
            }
            replay = false;
            for (EventLog.Event event : batch) {
                out.write(("id: " + event.id() + "\nevent: " + event.type() + "\ndata: " + event.data() + "\n\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            // Not the last id sent: after an unknown Last-Event-ID that could be a number never reached.
            last = page.cursor();
            if (!batch.isEmpty()) {
                out.flush();
            }
            if (!events.awaitAfter(last, heartbeat) && !events.isClosed()) {
                out.write(HEARTBEAT);
                out.flush();
            }
        }
    }

    private static long parseOrUnknown(String id) {
        try {
            return Long.parseLong(id.strip());
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
