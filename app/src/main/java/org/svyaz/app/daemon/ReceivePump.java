// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.svyaz.app.methods.EnvelopeJson;
import org.svyaz.client.SvyazClient;
import org.svyaz.client.api.ClientException;

/**
 * Keeps every served account receiving, each on a thread of its own, and hands each message to
 * the daemon's audience. A message is stored on this device before the server is told; while no
 * bot listens it waits there (signal-cli would drop it), and it is marked shown once handed on.
 * A daemon killed at any point therefore loses none; one killed between handing a message on and
 * marking it shown hands it on again after its restart.
 */
final class ReceivePump implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReceivePump.class);
    /** One receive call's idle time: each call also refills prekeys and deletes expired messages. */
    private static final Duration ROUND = Duration.ofMinutes(1);
    private static final Duration PAUSE_AFTER_FAILURE = Duration.ofSeconds(5);

    private final List<SvyazClient> clients;
    private final BiConsumer<SvyazClient, ObjectNode> publish;
    private final BooleanSupplier audience;
    private final List<Thread> threads = new ArrayList<>();
    private boolean started;
    private volatile boolean running = true;

    /** {@code audience}: whether anyone would get a message now; until then messages wait in the store. */
    ReceivePump(List<SvyazClient> clients, BooleanSupplier audience, BiConsumer<SvyazClient, ObjectNode> publish) {
        this.clients = new ArrayList<>(clients);
        this.audience = audience;
        this.publish = publish;
    }

    /** Starts receiving; called once, when the receive mode says so. */
    synchronized void start() {
        started = true;
        clients.forEach(this::startReceiving);
    }

    /** An account that joined (registered through the daemon) receives too, now or when receiving starts. */
    synchronized void add(SvyazClient client) {
        clients.add(client);
        if (started && running) {
            startReceiving(client);
        }
    }

    private void startReceiving(SvyazClient client) {
        threads.add(Thread.ofPlatform().name("svyaz-receive").daemon(true).start(() -> receive(client)));
    }

    private void receive(SvyazClient client) {
        while (running) {
            try {
                client.receive(ROUND, Integer.MAX_VALUE, audience,
                        message -> publish.accept(client, EnvelopeJson.of(client, message)));
            } catch (ClientException | RuntimeException e) {
                if (!running) {
                    return;
                }
                // The client already reconnects with backoff within a round; this is a round that gave
                // up, or a fault (a full disk) that must not end receiving for good.
                log.warn("receiving failed ({}); trying again", e.getClass().getSimpleName());
                try {
                    Thread.sleep(PAUSE_AFTER_FAILURE);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        running = false;
        for (Thread thread : threads) {
            thread.interrupt();
        }
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
