// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.util.List;

/**
 * What the probe found for one server address of the descriptor.
 *
 * @param steps DNS from the system and over HTTPS, the consistency check when the system's DNS lied,
 *              then TCP, the handshake in every SNI mode, the WebSocket upgrade and the timed transfer on
 *              the addresses the client would use (those from DNS over HTTPS when the system's DNS failed)
 * @param verdict in OONI's terms: {@code dns}, {@code tcp_ip}, {@code tls} (including SNI filtering),
 *                {@code http-failure} (the WebSocket upgrade), {@code throttling} (the transfer) or {@code ok}
 * @param sniFiltered the handshake failed with the server's name in the ClientHello and worked with a random
 *                    name or none
 * @param recommendation a sentence for people
 * @param systemAddresses what the system's DNS answered (the address itself for a literal)
 * @param dohAddresses what DNS over HTTPS answered, empty when not asked or no answer
 */
public record EndpointReport(String endpoint, List<StepResult> steps, String verdict, boolean sniFiltered,
                             String recommendation, List<String> systemAddresses, List<String> dohAddresses) {}
