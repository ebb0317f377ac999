// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;
import org.svyaz.bench.BenchException;

/**
 * A messaging server the relay scenario drives: Svyaz, or a peer it is compared with (an XMPP
 * server, an MQTT broker). The scenario owns the counting and timing; a system only knows how to
 * make users, log one in, and carry the benchmark bytes from one user to another: as they are
 * (opaque), or, for Svyaz's end-to-end mode, encrypted by the sender and decrypted by the recipient.
 */
public interface MessagingSystem extends AutoCloseable {
    /** The {@link #payload()} of a system that carries the benchmark bytes as they are. */
    String OPAQUE_PAYLOAD = "opaque";

    /** How the server runs, for the report; never names users or addresses beyond loopback ports. */
    String description();

    /** The server processes whose CPU and memory /proc shows; empty when they are not measured. */
    List<Long> serverPids();

    /** What the server carries, for the report: {@link #OPAQUE_PAYLOAD}, or how the system encrypts. */
    default String payload() {
        return OPAQUE_PAYLOAD;
    }

    /** What qualifies this system's numbers, for the report's notes once the run is over; none by default. */
    default List<String> notes() {
        return List.of();
    }

    /** Creates accounts for users 0 to {@code users} - 1. Not part of the measured load. */
    void createUsers(int users) throws BenchException;

    /**
     * Logs user {@code user} in and returns once messages sent to it from now on are delivered
     * live; every message that reaches it is handed to {@code inbox}, on any thread.
     */
    UserSession logIn(int user, Inbox inbox) throws BenchException;

    /** Releases what the system's sessions share (event loops); after every session is closed. */
    @Override
    default void close() {}
}
