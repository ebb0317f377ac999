// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.svyaz.client.TestAccounts.receiveUntil;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
}
