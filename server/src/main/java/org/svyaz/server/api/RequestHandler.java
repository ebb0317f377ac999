// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.util.UUID;
import org.svyaz.protocol.Uuids;

/** What one API path does. The caller is null on an unauthenticated connection. */
@FunctionalInterface
public interface RequestHandler {
    Message handle(Caller caller, ByteString body) throws ApiException;

    /** Parses a request body, turning a protobuf error into a typed MALFORMED error. */
    static <T> T parse(Parser<T> parser, ByteString body) throws ApiException {
        try {
            return parser.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.malformed("The request body is not a valid message for this path.");
        }
    }

    /** The account id a request names, or a typed MALFORMED error. */
    static UUID accountId(ByteString bytes) throws ApiException {
        return Uuids.accountIdOf(bytes).orElseThrow(() -> ApiException.malformed("An account id is 16 bytes."));
    }
}
