// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.util.ArrayList;
import java.util.List;
import org.svyaz.client.api.CallStep;
import org.svyaz.protocol.content.CallMessage;

/**
 * Between a {@link CallStep} and the {@code CallMessage} that carries it inside the encryption. A
 * message carries exactly one step; one with none, several, or parts out of bounds is refused.
 */
public final class CallMessages {
    private CallMessages() {}

    static CallMessage toProto(CallStep step) {
        CallMessage.Builder message = CallMessage.newBuilder();
        switch (step) {
            case CallStep.Offer offer -> message.setOffer(CallMessage.Offer.newBuilder()
                    .setId(offer.callId()).setSdp(offer.sdp())
                    .setType(offer.video() ? CallMessage.Offer.Type.VIDEO_CALL : CallMessage.Offer.Type.AUDIO_CALL));
            case CallStep.Answer answer -> message.setAnswer(CallMessage.Answer.newBuilder()
                    .setId(answer.callId()).setSdp(answer.sdp()));
            case CallStep.Candidates candidates -> candidates.candidates().forEach(candidate ->
                    message.addIceCandidates(CallMessage.IceCandidate.newBuilder()
                            .setId(candidates.callId()).setSdp(candidate.sdp()).setMid(candidate.mid())));
            case CallStep.Hangup hangup -> message.setHangup(CallMessage.Hangup.newBuilder()
                    .setId(hangup.callId()).setType(CallMessage.Hangup.Type.valueOf(hangup.type().name())));
            case CallStep.Busy busy -> message.setBusy(CallMessage.Busy.newBuilder().setId(busy.callId()));
        }
        return message.build();
    }

    /** The step a received message carries; IllegalArgumentException, with why, when it is not exactly one well-formed step. */
    public static CallStep fromProto(CallMessage message) {
        int parts = (message.hasOffer() ? 1 : 0) + (message.hasAnswer() ? 1 : 0)
                + (message.getIceCandidatesCount() > 0 ? 1 : 0) + (message.hasHangup() ? 1 : 0)
                + (message.hasBusy() ? 1 : 0);
        if (parts != 1) {
            throw new IllegalArgumentException("a call message must carry exactly one step, not " + parts);
        }
        if (message.hasOffer()) {
            CallMessage.Offer offer = message.getOffer();
            return new CallStep.Offer(offer.getId(), offer.getSdp(), offer.getType() == CallMessage.Offer.Type.VIDEO_CALL);
        }
        if (message.hasAnswer()) {
            return new CallStep.Answer(message.getAnswer().getId(), message.getAnswer().getSdp());
        }
        if (message.hasHangup()) {
            CallMessage.Hangup hangup = message.getHangup();
            CallStep.HangupType type = switch (hangup.getType()) {
                case NORMAL -> CallStep.HangupType.NORMAL;
                case ACCEPTED -> CallStep.HangupType.ACCEPTED;
                case DECLINED -> CallStep.HangupType.DECLINED;
                case BUSY -> CallStep.HangupType.BUSY;
                case UNRECOGNIZED -> throw new IllegalArgumentException("a hangup of an unknown type");
            };
            return new CallStep.Hangup(hangup.getId(), type);
        }
        if (message.hasBusy()) {
            return new CallStep.Busy(message.getBusy().getId());
        }
        long callId = message.getIceCandidates(0).getId();
        List<CallStep.Candidate> candidates = new ArrayList<>();
        for (CallMessage.IceCandidate candidate : message.getIceCandidatesList()) {
            if (candidate.getId() != callId) {
                throw new IllegalArgumentException("the candidates of one call message name different calls");
            }
            candidates.add(new CallStep.Candidate(candidate.getSdp(), candidate.getMid()));
        }
        return new CallStep.Candidates(callId, candidates);
    }
}
