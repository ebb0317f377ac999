// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import java.util.UUID;

/**
 * What an anonymous API path does when its limits are kept per connection: a sealed send names no
 * sender, so the connection it came on is all the server may tell senders apart by.
 * {@code connectionId} is random per WebSocket connection and tied to nothing else.
 */
@FunctionalInterface
public interface ConnectionRequestHandler {
    Message handle(UUID connectionId, ByteString body) throws ApiException;
}
