// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import java.util.Optional;
import java.util.UUID;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.ExitCodes;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.api.ClientException;
import org.svyaz.client.api.NetworkException;
import org.svyaz.client.api.RateLimitedException;
import org.svyaz.client.api.SendResult;
import org.svyaz.client.api.ServerRejectedException;
import org.svyaz.client.api.UnknownUserException;
import org.svyaz.client.api.UntrustedIdentityError;

/**
 * What a send did for each recipient, in signal-cli's shape: {@code {timestamp, results: [
 * {recipientAddress: {uuid, username}, type}]}}. Every recipient is reported; the first failure
 * decides the error a failed send ends with, and the error carries the whole report.
 */
final class SendResults {
    private final ObjectNode response = JsonNodeFactory.instance.objectNode();
    private final ArrayNode results = response.putArray("results");
    private ClientException firstFailure;
    private int failures;

    SendResults() {
        response.put("timestamp", 0L);
    }

    void succeeded(String username, Optional<UUID> account, SendResult sent) {
        response.put("timestamp", sent.timestamp());
        response.put("route", sent.route());
        add(username, account, "SUCCESS").put("sealed", sent.sealed());
    }

    /** Records a failure that concerns only this recipient; anything else is rethrown. */
    void failed(String username, Optional<UUID> account, ClientException failure) throws ClientException {
        String type = switch (failure) {
            case UnknownUserException e -> "UNREGISTERED_FAILURE";
            case UntrustedIdentityError e -> "IDENTITY_FAILURE";
            case RateLimitedException e -> "RATE_LIMIT_FAILURE";
            case NetworkException e -> "NETWORK_FAILURE";
            case ServerRejectedException e -> "NETWORK_FAILURE";
            default -> throw failure;
        };
        add(username, account, type).put("message", failure.getMessage());
        if (firstFailure == null) {
            firstFailure = failure;
        }
        failures++;
    }

    private ObjectNode add(String username, Optional<UUID> account, String type) {
        ObjectNode result = results.addObject();
        ObjectNode address = result.putObject("recipientAddress");
        if (account.isPresent()) {
            address.put("uuid", account.get().toString());
        } else {
            address.putNull("uuid");
        }
        address.put("username", username);
        result.put("type", type);
        return result;
    }

    /** The report when every recipient got the message, else the error that carries it. */
    ObjectNode response() throws RpcException {
        if (firstFailure == null) {
            return response;
        }
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.set("response", response);
        throw new RpcException(-ExitCodes.of(firstFailure), "Failed to send to " + failures + " of "
                + results.size() + " recipient(s): " + firstFailure.getMessage(), data);
    }
}
