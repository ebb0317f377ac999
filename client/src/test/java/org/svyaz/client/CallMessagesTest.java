// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.svyaz.client.api.CallStep;
import org.svyaz.protocol.content.CallMessage;

class CallMessagesTest {
    @Test
    void aMessageWithNoStepOrSeveralIsRefused() {
        assertThatThrownBy(() -> CallMessages.fromProto(CallMessage.getDefaultInstance()))
                .hasMessageContaining("exactly one step, not 0");
        CallMessage two = CallMessage.newBuilder()
                .setBusy(CallMessage.Busy.newBuilder().setId(1))
                .setHangup(CallMessage.Hangup.newBuilder().setId(1))
                .build();
        assertThatThrownBy(() -> CallMessages.fromProto(two)).hasMessageContaining("exactly one step, not 2");
    }

    @Test
    void candidatesOfDifferentCallsOrTooManyAreRefused() {
        CallMessage mixed = CallMessage.newBuilder()
                .addIceCandidates(CallMessage.IceCandidate.newBuilder().setId(1).setSdp("candidate:1"))
                .addIceCandidates(CallMessage.IceCandidate.newBuilder().setId(2).setSdp("candidate:2"))
                .build();
        assertThatThrownBy(() -> CallMessages.fromProto(mixed)).hasMessageContaining("different calls");
        CallMessage.Builder many = CallMessage.newBuilder();
        for (int i = 0; i <= CallStep.MAX_CANDIDATES; i++) {
            many.addIceCandidates(CallMessage.IceCandidate.newBuilder().setId(1).setSdp("candidate:" + i));
        }
        assertThatThrownBy(() -> CallMessages.fromProto(many.build())).hasMessageContaining("1 to 32 candidates");
    }

    @Test
    void anEmptyOrOversizedDescriptionIsRefused() {
        assertThatThrownBy(() -> new CallStep.Offer(1, "", false)).hasMessageContaining("offer");
        String huge = String.join("", Collections.nCopies(CallStep.MAX_SDP_CHARS + 1, "a"));
        CallMessage oversized = CallMessage.newBuilder()
                .setAnswer(CallMessage.Answer.newBuilder().setId(1).setSdp(huge)).build();
        assertThatThrownBy(() -> CallMessages.fromProto(oversized)).hasMessageContaining("answer");
    }

    @Test
    void everyStepSurvivesTheWayThereAndBack() {
        List<CallStep> steps = List.of(new CallStep.Offer(7, "v=0", false), new CallStep.Answer(7, "v=0"),
                new CallStep.Candidates(7, List.of(new CallStep.Candidate("candidate:1", "0"))),
                new CallStep.Hangup(7, CallStep.HangupType.BUSY), new CallStep.Busy(7));
        for (CallStep step : steps) {
            assertThat(CallMessages.fromProto(CallMessages.toProto(step))).isEqualTo(step);
        }
    }
}
