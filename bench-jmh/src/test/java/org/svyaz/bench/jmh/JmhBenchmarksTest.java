// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;
import org.svyaz.protocol.ApiPaths;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.protocol.wire.Frame;
import org.svyaz.protocol.wire.Request;
import org.svyaz.protocol.wire.Response;
import org.svyaz.protocol.wire.SendRequest;
import org.svyaz.server.api.Caller;
import org.svyaz.server.store.MailboxEntry;

/**
 * Each benchmark's set-up and one call of each benchmark method, checked for doing the real work:
 * a benchmark that silently measures an error path or an empty result is worse than none. No JMH
 * run and no timing here.
 */
class JmhBenchmarksTest {
    /** JMH refuses to hand out a Blackhole without this sentence; a test may use one directly. */
    private static final Blackhole SINK = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    private FrameBenchmark frames;
    private MailboxBenchmark mailbox;
    private AuthBenchmark auth;

    @AfterEach
    void tearDown() {
        if (frames != null) {
            frames.tearDown();
        }
        if (mailbox != null) {
            mailbox.tearDown();
        }
        if (auth != null) {
            auth.tearDown();
        }
    }

    @Test
    void protobufDecodeReturnsTheSentRequest() throws Exception {
        frames = frames();
        SendRequest decoded = frames.decodeSendRequestProtobuf();
        assertThat(decoded).isEqualTo(frames.sendRequest);
        assertThat(decoded.getMessages(0).getContent().size()).isEqualTo(256);
    }

    @Test
    void protobufEncodeProducesAPushOfTheEnvelope() throws Exception {
        frames = frames();
        Request push = Frame.parseFrom(frames.encodeEnvelopePushProtobuf()).getRequest();
        assertThat(push.getPath()).isEqualTo(ApiPaths.PUSH_MESSAGE);
        assertThat(push.getBody()).isEqualTo(frames.envelope);
    }

    @Test
    void handlingASendRequestParsesItAndAnswersOk() throws Exception {
        frames = frames();
        for (int i = 0; i < 3; i++) { // again and again, as JMH calls it: the wire bytes must not be used up
            frames.lastParsed = null;
            assertThat(frames.handleSendRequest()).isPositive();
            assertThat(frames.lastParsed).isEqualTo(frames.sendRequest);
        }
        // The answer on the wire: an unmasked binary WebSocket message holding an OK response to request 1.
        frames.channel.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(frames.sendRequestWire));
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        frames.drainOutbound(wire);
        Response response = Frame.parseFrom(webSocketPayload(wire.toByteArray())).getResponse();
        assertThat(response.getId()).isEqualTo(1);
        assertThat(response.getError()).isEqualTo(ErrorCode.OK);
    }

    @Test
    void pushingAnEnvelopeWritesItAndTheAckCompletesThePush() throws Exception {
        frames = frames();
        for (int i = 0; i < 3; i++) {
            frames.pushEnvelopeAndAck(SINK);
        }
        frames.checkPushesAnswered();
        // The benchmark's id count follows the session's, or every ack would miss and pushes pile up.
        var answer = frames.session.push(ApiPaths.PUSH_MESSAGE, frames.envelope);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        frames.drainOutbound(wire);
        Request push = Frame.parseFrom(webSocketPayload(wire.toByteArray())).getRequest();
        assertThat(push.getId()).isEqualTo(frames.nextPushId);
        assertThat(push.getPath()).isEqualTo(ApiPaths.PUSH_MESSAGE);
        assertThat(push.getBody()).isEqualTo(frames.envelope);
        frames.channel.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(FrameBenchmark.acknowledgement(push.getId())));
        assertThat(answer).isCompleted();
        assertThat(answer.join().getError()).isEqualTo(ErrorCode.OK);
    }

    @Test
    void insertedEntriesAreFetchedAndAcknowledgedOnesDeleted() throws Exception {
        mailbox = mailbox();
        // Set-up left a full page waiting for every device.
        for (int i = 0; i < mailbox.devices; i++) {
            assertThat(mailbox.mailbox.count(mailbox.accounts[i], 1)).isEqualTo(mailbox.waitingPerDevice);
        }
        List<MailboxEntry> page = mailbox.fetchPage();
        assertThat(page).hasSize(MailboxBenchmark.PAGE);
        assertThat(page).allSatisfy(entry -> assertThat(entry.envelope()).isEqualTo(mailbox.envelope));

        MailboxEntry inserted = mailbox.insertOne();
        List<MailboxEntry> all = mailbox.mailbox.fetch(inserted.accountId(), 1, 0, 1000);
        assertThat(all).hasSize(mailbox.waitingPerDevice + 1);
        MailboxEntry last = all.get(all.size() - 1);
        assertThat(last.guid()).isEqualTo(inserted.guid());
        assertThat(last.envelope()).isEqualTo(inserted.envelope());

        mailbox.topUpAcknowledgeable();
        assertThat(mailbox.acknowledgeable).hasSize(MailboxBenchmark.ACK_POOL);
        MailboxEntry next = mailbox.acknowledgeable.peek();
        assertThat(mailbox.deleteAcknowledged()).isTrue();
        assertThat(mailbox.mailbox.delete(next.accountId(), next.deviceId(), next.guid())).isFalse();
        // The acknowledgeable entries live on other accounts: the fetched pages stay as set up.
        assertThat(Arrays.asList(mailbox.accounts)).doesNotContainAnyElementsOf(Arrays.asList(mailbox.ackAccounts));
    }

    @Test
    void authenticationAcceptsTheRightPasswordOnly() throws Exception {
        auth = new AuthBenchmark();
        auth.accounts = 20;
        auth.setUp();
        // Each benchmark walks the accounts in turn; one call each starts at account 0, 1, 2.
        Optional<Caller> accepted = auth.rightPassword();
        assertThat(accepted).contains(new Caller(auth.accountIds[0], 1));
        assertThat(auth.wrongPassword()).isEmpty();
        assertThat(auth.unknownAccount()).isEmpty();
        for (int i = 0; i < auth.accounts; i++) {
            assertThat(auth.authenticate(auth.rightHeaders[i])).contains(new Caller(auth.accountIds[i], 1));
            assertThat(auth.authenticate(auth.wrongPasswordHeaders[i])).isEmpty();
        }
        assertThat(auth.authenticate("Basic not-base64!")).isEmpty();
    }

    private static FrameBenchmark frames() throws Exception {
        FrameBenchmark benchmark = new FrameBenchmark();
        benchmark.ciphertextBytes = 256;
        benchmark.setUp();
        return benchmark;
    }

    private static MailboxBenchmark mailbox() throws Exception {
        MailboxBenchmark benchmark = new MailboxBenchmark();
        benchmark.devices = 50;
        benchmark.waitingPerDevice = MailboxBenchmark.PAGE;
        benchmark.ciphertextBytes = 256;
        benchmark.setUp();
        return benchmark;
    }

    /** The payload of one unmasked server-to-client binary WebSocket message. */
    private static byte[] webSocketPayload(byte[] wire) {
        assertThat(wire[0] & 0xff).isEqualTo(0x82); // FIN, binary
        assertThat(wire[1] & 0x80).isZero(); // a server never masks
        int length = wire[1] & 0x7f;
        int offset = 2;
        if (length == 126) {
            length = ((wire[2] & 0xff) << 8) | (wire[3] & 0xff);
            offset = 4;
        }
        assertThat(wire.length).isEqualTo(offset + length);
        return Arrays.copyOfRange(wire, offset, wire.length);
    }
}
