// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import static org.svyaz.app.rpc.RpcParam.Type.ARRAY;
import static org.svyaz.app.rpc.RpcParam.Type.INTEGER;
import static org.svyaz.app.rpc.RpcParam.Type.OBJECT;
import static org.svyaz.app.rpc.RpcParam.Type.STRING;
import static org.svyaz.app.rpc.RpcParam.optional;
import static org.svyaz.app.rpc.RpcParam.required;

import java.util.List;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.api.CallRecord;

/** Calls: the signalling between two browsers, carried end-to-end encrypted like any message. */
public final class CallMethods {
    private CallMethods() {}

    public static List<AccountMethod> all() {
        return List.of(
                AccountMethod.of("sendCallMessage", "Send a contact one step of setting up a call (Svyaz's own; "
                                + "signal-cli only receives calls). Give exactly one of the parts, shaped as "
                                + "received envelopes show them in callMessage.",
                        List.of(required("recipient", STRING, "The contact."),
                                optional("offerMessage", OBJECT, "{id, sdp, type: AUDIO_CALL or VIDEO_CALL}: ring."),
                                optional("answerMessage", OBJECT, "{id, sdp}: take the call."),
                                optional("iceUpdateMessages", ARRAY, "[{id, sdp, mid}]: where you can be reached "
                                        + "(1 to 32 candidates)."),
                                optional("hangupMessage", OBJECT, "{id, type: NORMAL, ACCEPTED, DECLINED or BUSY}: end it."),
                                optional("busyMessage", OBJECT, "{id}: you are in another call.")),
                        (client, call) -> {
                            var step = CallMessageJson.read(call);
                            return MessageMethods.one(client, call, recipient -> client.sendCallMessage(recipient, step));
                        }),
                AccountMethod.of("listCalls", "The call log, newest first: who, which way, voice or video, when, "
                                + "and what became of each call (Svyaz's own).",
                        List.of(optional("limit", INTEGER, "At most this many calls (default 100, at most 1000).")),
                        (client, call) -> {
                            int limit = call.optionalInt("limit").orElse(100);
                            if (limit < 1 || limit > 1000) {
                                throw RpcException.invalidParams("parameter 'limit' must be from 1 to 1000");
                            }
                            ArrayNode calls = JsonNodeFactory.instance.arrayNode();
                            for (CallRecord record : client.callLog(limit)) {
                                ObjectNode entry = calls.addObject()
                                        .put("callId", record.callId())
                                        .put("recipient", record.peerUsername().orElse(record.peer().toString()))
                                        .put("recipientUuid", record.peer().toString())
                                        .put("outgoing", record.outgoing())
                                        .put("video", record.video())
                                        .put("startedAt", record.startedAt())
                                        .put("outcome", record.outcome().name());
                                record.answeredAt().ifPresent(at -> entry.put("answeredAt", at));
                                record.endedAt().ifPresent(at -> entry.put("endedAt", at));
                                if (record.answeredAt().isPresent() && record.endedAt().isPresent()) {
                                    entry.put("durationSeconds", (record.endedAt().get() - record.answeredAt().get()) / 1000);
                                }
                            }
                            return calls;
                        }),
                AccountMethod.of("getTurnServers", "The server's TURN servers with fresh credentials, shaped as a "
                                + "browser's RTCIceServer list, and whether calls must take only them (Svyaz's own).",
                        List.of(),
                        (client, call) -> {
                            ObjectNode result = JsonNodeFactory.instance.objectNode();
                            ArrayNode servers = result.putArray("iceServers");
                            client.turnServers().ifPresent(turn -> {
                                ObjectNode server = servers.addObject();
                                turn.uris().forEach(server.putArray("urls")::add);
                                server.put("username", turn.username());
                                server.put("credential", turn.password());
                                result.put("expiresAt", turn.expiresAt().toEpochMilli());
                            });
                            result.put("alwaysRelay", client.alwaysRelayCalls());
                            return result;
                        }));
    }
}
