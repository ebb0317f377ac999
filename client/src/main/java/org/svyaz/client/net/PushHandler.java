// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;

/** Answers the server's pushes. Called on a worker thread, one push at a time per connection. */
@FunctionalInterface
public interface PushHandler {
    /** Returns the answer; an OK answer to a message push tells the server it may delete the message. */
    Response onPush(Request push);

    /**
     * The same, told which route the push came in on: files a pushed message names are fetched
     * along it, and it is known before the connection is handed to the caller.
     */
    default Response onPush(Request push, Route route) {
        return onPush(push);
    }
}
