// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.svyaz.app.rpc.ReceiveHub;
import org.svyaz.client.api.TransferProgress;

/**
 * Passes an account's file transfers on to the web app's event stream, so it can show "receiving
 * photo.jpg, 40 %": the first and last update of each file, and at most a few a second between,
 * however small the chunks.
 */
final class TransferEvents implements TransferProgress {
    private static final long EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final String account;
    private final ReceiveHub hub;
    /** When each running transfer last said something, by direction and file name. */
    private final ConcurrentHashMap<String, Long> lastSaid = new ConcurrentHashMap<>();

    TransferEvents(String account, ReceiveHub hub) {
        this.account = account;
        this.hub = hub;
    }

    @Override
    public void update(String fileName, boolean upload, long done, long total) {
        String key = (upload ? "up:" : "down:") + fileName;
        long now = System.nanoTime();
        boolean finished = done >= total;
        Long previous = finished ? lastSaid.remove(key) : lastSaid.putIfAbsent(key, now);
        if (!finished && previous != null) {
            if (now - previous < EVERY_NANOS || !lastSaid.replace(key, previous, now)) {
                return;
            }
        }
        ObjectNode params = JsonNodeFactory.instance.objectNode()
                .put("account", account)
                .put("filename", fileName)
                .put("upload", upload)
                .put("done", done)
                .put("total", total);
        hub.publishTransfer(params);
    }
}
