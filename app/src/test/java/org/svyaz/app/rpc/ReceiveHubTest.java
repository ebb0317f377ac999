// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Who gets a published message, in which shape, and when receiving starts. */
class ReceiveHubTest {
    private final AtomicInteger starts = new AtomicInteger();

    @Test
    void onStartBeginsWhenTheDaemonStartedAndOnlyOnce() {
        ReceiveHub hub = new ReceiveHub(ReceiveMode.ON_START, starts::incrementAndGet);
        assertThat(starts).hasValue(0);

        hub.daemonStarted();
        hub.attach(new RecordingPeer("a"));
        hub.eventStreamOpened();

        assertThat(starts).hasValue(1);
    }

    @Test
    void onConnectionBeginsAtTheFirstConnectionOrEventStream() throws Exception {
        ReceiveHub hub = new ReceiveHub(ReceiveMode.ON_CONNECTION, starts::incrementAndGet);
        hub.daemonStarted();
        assertThat(starts).hasValue(0);

        hub.attach(new RecordingPeer("a"));
        hub.attach(new RecordingPeer("b"));
        assertThat(starts).hasValue(1);

        ReceiveHub streamed = new ReceiveHub(ReceiveMode.ON_CONNECTION, starts::incrementAndGet);
        streamed.eventStreamOpened();
        assertThat(starts).hasValue(2);
    }

    @Test
    void manualBeginsAtTheFirstSubscriptionOrEventStream() throws Exception {
        ReceiveHub hub = new ReceiveHub(ReceiveMode.MANUAL, starts::incrementAndGet);
        RecordingPeer peer = new RecordingPeer("a");
        hub.daemonStarted();
        hub.attach(peer);
        assertThat(starts).hasValue(0);

        hub.subscribe(peer);
        hub.subscribe(peer);
        assertThat(starts).hasValue(1);

        ReceiveHub streamed = new ReceiveHub(ReceiveMode.MANUAL, starts::incrementAndGet);
        streamed.eventStreamOpened();
        assertThat(starts).hasValue(2);
    }

    @Test
    void inAutomaticModeEveryConnectionGetsThePlainNotification() {
        ReceiveHub hub = new ReceiveHub(ReceiveMode.ON_START, () -> { });
        RecordingPeer a = new RecordingPeer("a");
        RecordingPeer b = new RecordingPeer("b");
        hub.attach(a);
        hub.attach(b);

        hub.publish("alice.01", envelope("hello"));

        for (RecordingPeer peer : List.of(a, b)) {
            assertThat(peer.pushed()).singleElement().satisfies(frame -> assertThat(frame.toString()).isEqualTo(
                    "{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":{\"envelope\":{\"body\":\"hello\"},"
                            + "\"account\":\"alice.01\"}}"));
        }
    }

    @Test
    void inManualModeOnlySubscriptionsGetTheWrappedNotificationUntilTheyUnsubscribe() throws Exception {
        ReceiveHub hub = new ReceiveHub(ReceiveMode.MANUAL, () -> { });
        RecordingPeer subscriber = new RecordingPeer("a");
        RecordingPeer bystander = new RecordingPeer("b");
        hub.attach(subscriber);
        hub.attach(bystander);
        int first = hub.subscribe(subscriber);
        int second = hub.subscribe(subscriber);
        assertThat(first).isZero();
        assertThat(second).isEqualTo(1);

        hub.publish("alice.01", envelope("one"));
        hub.unsubscribe(subscriber, first);
        hub.publish("alice.01", envelope("two"));

        assertThat(bystander.pushed()).isEmpty();
        assertThat(subscriber.pushed()).extracting(frame -> frame.at("/params/subscription").intValue())
                .containsExactlyInAnyOrder(0, 1, 1);
        JsonNode last = subscriber.pushed().getLast();
        assertThat(last.toString()).isEqualTo("{\"jsonrpc\":\"2.0\",\"method\":\"receive\",\"params\":{\"subscription\":1,"
                + "\"result\":{\"envelope\":{\"body\":\"two\"},\"account\":\"alice.01\"}}}");
    }

    @Test
    void subscriptionIdsBelongToTheirConnection() throws Exception {
        ReceiveHub hub = new ReceiveHub(ReceiveMode.MANUAL, () -> { });
        RecordingPeer a = new RecordingPeer("a");
        RecordingPeer b = new RecordingPeer("b");
        hub.attach(a);
        hub.attach(b);
        int ofA = hub.subscribe(a);

        assertThat(hub.subscribe(b)).isEqualTo(ofA);
        hub.unsubscribe(b, ofA);
        assertThatThrownBy(() -> hub.unsubscribe(b, ofA)).isInstanceOfSatisfying(RpcException.class,
                e -> assertThat(e.code()).isEqualTo(RpcErrorCode.USER_ERROR));
        hub.publish("alice.01", envelope("still for a"));
        assertThat(a.pushed()).hasSize(1);
        assertThat(b.pushed()).isEmpty();
    }

    @Test
    void aSubscriptionAddsToTheAutomaticDeliveryAndEndsWithItsConnection() throws Exception {
        ReceiveHub hub = new ReceiveHub(ReceiveMode.ON_START, () -> { });
        RecordingPeer peer = new RecordingPeer("a");
        hub.attach(peer);
        hub.subscribe(peer);

        hub.publish("alice.01", envelope("both"));
        hub.detach(peer);
        hub.publish("alice.01", envelope("none"));

        assertThat(peer.pushed()).extracting(frame -> frame.get("params").has("subscription"))
                .containsExactlyInAnyOrder(false, true);
        assertThat(hub.attachedPeers()).isZero();
        assertThatThrownBy(() -> hub.subscribe(peer)).isInstanceOf(RpcException.class);
    }

    @Test
    void listenersGetEveryMessageUnwrappedInEveryMode() {
        ReceiveHub hub = new ReceiveHub(ReceiveMode.MANUAL, () -> { });
        List<String> heard = new CopyOnWriteArrayList<>();
        hub.addListener((type, params) -> heard.add(type + " " + params));

        hub.publish("alice.01", envelope("to the log"));
        hub.publishTransfer(envelope("a file's progress"));

        assertThat(heard).containsExactly(
                "receive {\"envelope\":{\"body\":\"to the log\"},\"account\":\"alice.01\"}",
                "transfer {\"body\":\"a file's progress\"}");
    }

    @Test
    void receiveModesReadTheirCommandLineNames() {
        assertThat(ReceiveMode.fromCliName("on-start")).isEqualTo(ReceiveMode.ON_START);
        assertThat(ReceiveMode.fromCliName("on-connection")).isEqualTo(ReceiveMode.ON_CONNECTION);
        assertThat(ReceiveMode.fromCliName("manual")).isEqualTo(ReceiveMode.MANUAL);
        assertThatThrownBy(() -> ReceiveMode.fromCliName("sometimes")).hasMessageContaining("on-start, on-connection, manual");
    }

    static ObjectNode envelope(String body) {
        return RpcJson.MAPPER.createObjectNode().put("body", body);
    }
}
