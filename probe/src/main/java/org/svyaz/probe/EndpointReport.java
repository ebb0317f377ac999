// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.util.List;

/**
 * What the probe found for one server address.
 *
 * @param verdict in OONI's terms: {@code dns}, {@code tcp_ip}, {@code tls} (including SNI
 *                filtering), {@code http-failure} (the WebSocket upgrade), or {@code ok}
 * @param sniFiltered the handshake failed with the server's name in the ClientHello and worked without
 */
public record EndpointReport(String endpoint, List<StepResult> steps, String verdict, boolean sniFiltered,
                             String recommendation) {}
