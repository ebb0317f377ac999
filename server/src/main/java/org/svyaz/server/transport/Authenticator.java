// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import java.util.Optional;
import org.svyaz.server.api.Caller;
import org.svyaz.server.store.StoreException;

/** Checks the credentials a device presents when it opens its WebSocket. */
@FunctionalInterface
public interface Authenticator {
    /** The device, or empty when the header is malformed or the credentials are wrong. */
    Optional<Caller> authenticate(String authorizationHeader) throws StoreException;
}
