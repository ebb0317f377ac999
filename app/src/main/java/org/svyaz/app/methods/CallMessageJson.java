// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.api.CallStep;

/**
 * A call step as signal-cli's {@code callMessage} shows it ({@code offerMessage}, {@code answerMessage},
 * {@code iceUpdateMessages}, {@code hangupMessage}, {@code busyMessage}), both in received envelopes
 * and in {@code sendCallMessage}'s parameters, so what a script reads it can send back unchanged.
 */
final class CallMessageJson {
    static final List<String> PARTS =
            List.of("offerMessage", "answerMessage", "iceUpdateMessages", "hangupMessage", "busyMessage");

    private CallMessageJson() {}

    /** Writes {@code step} into {@code callMessage}. */
    static void write(ObjectNode callMessage, CallStep step) {
        switch (step) {
            case CallStep.Offer offer -> callMessage.putObject("offerMessage")
                    .put("id", offer.callId()).put("sdp", offer.sdp())
                    .put("type", offer.video() ? "VIDEO_CALL" : "AUDIO_CALL");
            case CallStep.Answer answer -> callMessage.putObject("answerMessage")
                    .put("id", answer.callId()).put("sdp", answer.sdp());
            case CallStep.Candidates candidates -> {
                var array = callMessage.putArray("iceUpdateMessages");
                candidates.candidates().forEach(candidate -> array.addObject()
                        .put("id", candidates.callId()).put("sdp", candidate.sdp()).put("mid", candidate.mid()));
            }
            case CallStep.Hangup hangup -> callMessage.putObject("hangupMessage")
                    .put("id", hangup.callId()).put("type", hangup.type().name());
            case CallStep.Busy busy -> callMessage.putObject("busyMessage").put("id", busy.callId());
        }
    }

    /** The one step a call's parameters name, or invalid params saying what is wrong. */
    static CallStep read(RpcCall call) throws RpcException {
        List<String> given = PARTS.stream().filter(part -> call.raw(part).filter(v -> !v.isNull()).isPresent()).toList();
        if (given.size() != 1) {
            throw RpcException.invalidParams("give exactly one of " + String.join(", ", PARTS)
                    + (given.isEmpty() ? "" : "; got " + String.join(", ", given)));
        }
        String part = given.getFirst();
        JsonNode value = call.raw(part).orElseThrow();
        try {
            return switch (part) {
                case "offerMessage" -> new CallStep.Offer(id(value, part), text(value, part, "sdp"),
                        switch (text(value, part, "type").toUpperCase(Locale.ROOT)) {
                            case "AUDIO_CALL" -> false;
                            case "VIDEO_CALL" -> true;
                            default -> throw RpcException.invalidParams(part + ".type must be AUDIO_CALL or VIDEO_CALL");
                        });
                case "answerMessage" -> new CallStep.Answer(id(value, part), text(value, part, "sdp"));
                case "iceUpdateMessages" -> candidates(value);
                case "hangupMessage" -> new CallStep.Hangup(id(value, part), hangupType(value));
                default -> new CallStep.Busy(id(value, part));
            };
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidParams(e.getMessage());
        }
    }

    private static CallStep candidates(JsonNode value) throws RpcException {
        if (!value.isArray() || value.isEmpty()) {
            throw RpcException.invalidParams("iceUpdateMessages must be a non-empty array");
        }
        long callId = id(value.get(0), "iceUpdateMessages[0]");
        List<CallStep.Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            String part = "iceUpdateMessages[" + i + "]";
            if (id(value.get(i), part) != callId) {
                throw RpcException.invalidParams("every entry of iceUpdateMessages must name the same call id");
            }
            candidates.add(new CallStep.Candidate(text(value.get(i), part, "sdp"),
                    value.get(i).path("mid").asText("")));
        }
        return new CallStep.Candidates(callId, candidates);
    }

    private static CallStep.HangupType hangupType(JsonNode value) throws RpcException {
        String type = value.path("type").asText("NORMAL").toUpperCase(Locale.ROOT);
        try {
            return CallStep.HangupType.valueOf(type);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidParams("hangupMessage.type must be NORMAL, ACCEPTED, DECLINED or BUSY");
        }
    }

    /** Call ids are whole numbers a browser holds exactly: 0 to 2^53 - 1. */
    private static long id(JsonNode value, String part) throws RpcException {
        JsonNode id = value == null ? null : value.get("id");
        if (id == null || !id.canConvertToExactIntegral() || id.asLong() < 0 || id.asLong() >= (1L << 53)) {
            throw RpcException.invalidParams(part + ".id must be a whole number from 0 to 2^53 - 1");
        }
        return id.asLong();
    }

    private static String text(JsonNode value, String part, String field) throws RpcException {
        JsonNode text = value.get(field);
        if (text == null || !text.isTextual()) {
            throw RpcException.invalidParams(part + "." + field + " must be a string");
        }
        return text.asText();
    }
}
