// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.CallRecord;
import org.svyaz.client.api.CallStep;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.api.ReceivedSignal;
import org.svyaz.server.SvyazServer;

/** Each step of setting up a call travels end to end and arrives as sent, never as a message. */
class CallMessagesIT {
    @TempDir
    Path temp;

    @Test
    void everyCallStepArrivesAsSentAndLeavesTheConversationAlone() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.41", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.42", Clock.systemUTC())) {
            long callId = 9_007_199_254_740_991L;
            String sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 AB:CD\r\n";
            List<CallStep> steps = List.of(
                    new CallStep.Offer(callId, sdp, true),
                    new CallStep.Candidates(callId, List.of(
                            new CallStep.Candidate("candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "0"),
                            new CallStep.Candidate("candidate:2 1 udp 41885439 127.0.0.2 3478 typ relay", "1"))),
                    new CallStep.Answer(callId, sdp),
                    new CallStep.Busy(callId),
                    new CallStep.Hangup(callId, CallStep.HangupType.DECLINED));
            for (CallStep step : steps) {
                alice.sendCallMessage("bob.42", step);
            }
            List<ReceivedMessage> received = receiveUntil(bob, m -> m.signal()
                    .filter(s -> s instanceof ReceivedSignal.Call call && call.step() instanceof CallStep.Hangup)
                    .isPresent());
            assertThat(received).extracting(m -> m.signal().orElseThrow())
                    .containsExactlyElementsOf(steps.stream().map(ReceivedSignal.Call::new).toList());
            assertThat(received).allSatisfy(m -> assertThat(m.source()).isEqualTo("alice.41"));
            assertThat(bob.conversation("alice.41")).as("a call step is no message").isEmpty();
            assertThat(alice.conversation("bob.42")).isEmpty();
        }
    }

    @Test
    void theCallLogOfBothSidesSaysWhatBecameOfEachCall() throws Exception {
        try (SvyazServer server = TestServer.start(temp.resolve("server"));
             SvyazClient alice = SvyazClient.register(temp.resolve("a"), server.inviteLink(), "alice.43", Clock.systemUTC());
             SvyazClient bob = SvyazClient.register(temp.resolve("b"), server.inviteLink(), "bob.44", Clock.systemUTC())) {
            String sdp = "v=0";
            // 1: alice gives up before bob takes it; 2: bob declines; 3: taken, then ended; 4: bob is busy; 5: rings now.
            alice.sendCallMessage("bob.44", new CallStep.Offer(1, sdp, false));
            alice.sendCallMessage("bob.44", new CallStep.Hangup(1, CallStep.HangupType.NORMAL));
            alice.sendCallMessage("bob.44", new CallStep.Offer(2, sdp, false));
            receiveUntil(bob, isStep(CallStep.Offer.class, 2));
            bob.sendCallMessage("alice.43", new CallStep.Hangup(2, CallStep.HangupType.DECLINED));
            alice.sendCallMessage("bob.44", new CallStep.Offer(3, sdp, true));
            receiveUntil(bob, isStep(CallStep.Offer.class, 3));
            bob.sendCallMessage("alice.43", new CallStep.Answer(3, sdp));
            receiveUntil(alice, isStep(CallStep.Answer.class, 3));
            alice.sendCallMessage("bob.44", new CallStep.Hangup(3, CallStep.HangupType.NORMAL));
            alice.sendCallMessage("bob.44", new CallStep.Offer(4, sdp, false));
            receiveUntil(bob, isStep(CallStep.Offer.class, 4));
            bob.sendCallMessage("alice.43", new CallStep.Busy(4));
            receiveUntil(alice, isStep(CallStep.Busy.class, 4));
            // Candidates or an answer for a call nobody offered change nothing.
            bob.sendCallMessage("alice.43", new CallStep.Answer(99, sdp));
            alice.sendCallMessage("bob.44", new CallStep.Offer(5, sdp, false));
            receiveUntil(bob, isStep(CallStep.Offer.class, 5));
            receiveUntil(alice, isStep(CallStep.Answer.class, 99));

            assertThat(alice.callLog(10)).extracting(CallRecord::callId, CallRecord::outgoing, CallRecord::outcome)
                    .containsExactly(
                            tuple(5L, true, CallRecord.Outcome.RINGING),
                            tuple(4L, true, CallRecord.Outcome.BUSY),
                            tuple(3L, true, CallRecord.Outcome.ANSWERED),
                            tuple(2L, true, CallRecord.Outcome.DECLINED),
                            tuple(1L, true, CallRecord.Outcome.NOT_ANSWERED));
            assertThat(bob.callLog(10)).extracting(CallRecord::callId, CallRecord::outgoing, CallRecord::outcome)
                    .containsExactly(
                            tuple(5L, false, CallRecord.Outcome.RINGING),
                            tuple(4L, false, CallRecord.Outcome.MISSED),
                            tuple(3L, false, CallRecord.Outcome.ANSWERED),
                            tuple(2L, false, CallRecord.Outcome.DECLINED),
                            tuple(1L, false, CallRecord.Outcome.MISSED));
            CallRecord taken = bob.callLog(10).get(2);
            assertThat(taken.video()).isTrue();
            assertThat(taken.peerUsername()).contains("alice.43");
            assertThat(taken.answeredAt()).isPresent();
            assertThat(taken.endedAt()).isPresent();
            assertThat(alice.callLog(2)).as("the newest two").hasSize(2);
        }
    }

    private static java.util.function.Predicate<ReceivedMessage> isStep(Class<? extends CallStep> kind, long callId) {
        return m -> m.signal().filter(s -> s instanceof ReceivedSignal.Call call && kind.isInstance(call.step())
                && call.step().callId() == callId).isPresent();
    }
}
