// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;
import org.svyaz.bench.BenchException;

/**
 * A messaging server the relay scenario drives: Svyaz, or a peer it is compared with (an XMPP
 * server, an MQTT broker). The scenario owns the counting and timing; a system only knows how to
 * make users, log one in, and carry opaque bytes from one user to another.
 */
public interface MessagingSystem extends AutoCloseable {
    /** How the server runs, for the report; never names users or addresses beyond loopback ports. */
    String description();

    /** The server processes whose CPU and memory /proc shows; empty when they are not measured. */
    List<Long> serverPids();

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
