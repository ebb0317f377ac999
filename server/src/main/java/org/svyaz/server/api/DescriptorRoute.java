// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import org.svyaz.protocol.wire.DescriptorRequest;
import org.svyaz.protocol.wire.DescriptorResponse;
import org.svyaz.server.identity.DescriptorKeeper;

/**
 * Serves the current signed server descriptor, which clients fetch whenever they connect. The
 * descriptor names the port the transport is bound to, so it exists only once the transport
 * listens; until then (the first moments of start-up) the route answers UNAVAILABLE.
 */
public final class DescriptorRoute implements RequestHandler {
    private volatile DescriptorKeeper descriptors;

    /** Starts serving {@code descriptors}; called once, after the transport is bound. */
    public void serve(DescriptorKeeper descriptors) {
        this.descriptors = descriptors;
    }

    @Override
    public Message handle(Caller caller, ByteString body) throws ApiException {
        RequestHandler.parse(DescriptorRequest.parser(), body);
        DescriptorKeeper current = descriptors;
        if (current == null) {
            throw ApiException.unavailable();
        }
        return DescriptorResponse.newBuilder().setSignedDescriptor(current.current().signed().toByteString()).build();
    }
}
