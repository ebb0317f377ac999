// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

/** The peer of every {@code POST /api/v1/rpc} call: a request has no connection to push to. */
final class HttpPeer implements RpcPeer {
    static final HttpPeer INSTANCE = new HttpPeer();

    private HttpPeer() {}

    @Override
    public String label() {
        return "http";
    }

    @Override
    public boolean acceptsPushes() {
        return false;
    }

    @Override
    public void push(String frame) {
        // Nothing to push to: HTTP clients read GET /api/v1/events.
    }
}
