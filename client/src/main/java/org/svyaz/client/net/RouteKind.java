// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

/** How a route finds the server's address and what its ClientHello shows. */
public enum RouteKind {
    /** The address as the descriptor names it, resolved by the system; the real SNI. */
    DIRECT,
    /** The name resolved by the system, but no SNI in the ClientHello. */
    NO_SNI,
    /** The name resolved by the system, an innocuous SNI from the descriptor. */
    COVER_SNI,
    /** The name resolved with DNS over HTTPS. */
    DOH,
    /** Through a relay, which sees neither the server's name nor anything it could read. */
    RELAY
}
