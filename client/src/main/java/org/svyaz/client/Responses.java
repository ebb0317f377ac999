// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.api.UnknownUserException;
import org.svyaz.client.api.UserInputException;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Response;

/** Turns the server's answers into results or typed client errors. */
final class Responses {
    private Responses() {}

    static Response checkOk(Response response) throws ClientException {
        return switch (response.getError()) {
            case OK -> response;
            case RATE_LIMITED -> throw new RateLimitedException(response.getMessage());
            case NOT_FOUND -> throw new UnknownUserException(response.getMessage());
            case INVALID_INVITE -> throw new UserInputException(response.getMessage());
            default -> throw new ServerRejectedException(response.getError(), "The server refused: "
                    + response.getMessage() + " (" + response.getError() + ")");
        };
    }

    static <T> T parse(Response response, Parser<T> parser) throws ClientException {
        try {
            return parser.parseFrom(response.getBody());
        } catch (InvalidProtocolBufferException e) {
            throw new ServerRejectedException(ErrorCode.MALFORMED, "The server sent an unreadable answer.");
        }
    }
}
