// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/**
 * What a send did. {@code timestamp} names the message (for replies, edits, deletes);
 * {@code sealed} is false when the server could see who sent it; {@code route} is how the
 * message reached the server (see {@link ConnectionStatus#route()}).
 */
public record SendResult(long timestamp, boolean sealed, String route) {}
