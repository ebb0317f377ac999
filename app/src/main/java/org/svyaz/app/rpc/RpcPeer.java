// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

/**
 * Where a call came from: one socket, TCP or stdio connection, or the shared HTTP pseudo-peer.
 * Subscriptions belong to a peer and end with it.
 */
public interface RpcPeer {
    /** A name for logs: the transport and a counter ({@code unix#3}), never an address. */
    String label();

    /** Whether {@link #push} reaches anyone; HTTP clients read {@code GET /api/v1/events} instead. */
    boolean acceptsPushes();

    /**
     * Queues one notification line. Never blocks: a peer too far behind disconnects itself instead.
     * Frames pushed after the peer closed are dropped.
     */
    void push(String frame);
}
