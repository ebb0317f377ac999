// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@code svyaz -o json receive} process that runs for the whole lab; records each message body
 * with the moment it was printed.
 */
final class Inbox {
    /** A message as printed: its body, when, and where its files were stored (empty when none or not fetched). */
    record Arrival(String body, long nanoTime, List<String> files) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Arrival> arrivals = new ArrayList<>();

    Inbox(Process receive) {
        BufferedReader out = new BufferedReader(new InputStreamReader(receive.getInputStream(), StandardCharsets.UTF_8));
        Thread.ofPlatform().daemon(true).name("lab-inbox").start(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    long now = System.nanoTime();
                    JsonNode data = JSON.readTree(line).path("envelope").path("dataMessage");
                    JsonNode message = data.path("message");
                    if (message.isTextual()) {
                        List<String> files = new ArrayList<>();
                        data.path("attachments").forEach(f -> {
                            if (f.path("storedFilename").isTextual()) {
                                files.add(f.path("storedFilename").asText());
                            }
                        });
                        synchronized (arrivals) {
                            arrivals.add(new Arrival(message.asText(), now, List.copyOf(files)));
                            arrivals.notifyAll();
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    /** When {@code body} arrived, waiting at most {@code timeout} for it. */
    Optional<Long> awaitArrival(String body, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrivals) {
            while (true) {
                for (Arrival arrival : arrivals) {
                    if (arrival.body().equals(body)) {
                        return Optional.of(arrival.nanoTime());
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                arrivals.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** The stored files of the first message with {@code body}. */
    List<String> files(String body) {
        synchronized (arrivals) {
            return arrivals.stream().filter(a -> a.body().equals(body)).findFirst().map(Arrival::files)
                    .orElse(List.of());
        }
    }

    /** How many times {@code body} arrived (to check that nothing is shown twice). */
    long count(String body) {
        synchronized (arrivals) {
            return arrivals.stream().filter(a -> a.body().equals(body)).count();
        }
    }
}
