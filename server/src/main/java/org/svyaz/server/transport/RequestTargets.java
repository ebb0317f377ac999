// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * A request's target decoded, or nothing when it cannot be: Netty's decoder throws on an escape
 * without two hex digits ({@code /%zz}), which must end as a 400, not as an exception out of the
 * handlers.
 */
final class RequestTargets {
    private RequestTargets() {}

    /** The decoded path of {@code uri}; empty when it does not decode. */
    static Optional<String> path(String uri) {
        try {
            return Optional.of(new QueryStringDecoder(uri).path());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The decoded query parameters of {@code uri}; empty when they do not decode. */
    static Optional<Map<String, List<String>>> parameters(String uri) {
        try {
            return Optional.of(new QueryStringDecoder(uri).parameters());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
