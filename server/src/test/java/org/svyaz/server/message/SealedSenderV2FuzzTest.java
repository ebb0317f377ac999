// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Timeout;
import org.svyaz.protocol.wire.ErrorCode;
import org.svyaz.server.api.ApiException;

/**
 * Fuzz target for the Sealed Sender v2 parser, which reads what any connection sends to
 * {@code send-multi-sealed}: a MALFORMED refusal or a payload that keeps every rule the fan-out
 * relies on. Replayed from {@code SealedSenderV2FuzzTestInputs/} in every build; fuzzed with
 * {@code JAZZER_FUZZ=1} (SECURITY.md, "Fuzzing").
 */
class SealedSenderV2FuzzTest {
    /** A hang: Jazzer's fuzzing mode reports an input that runs longer (libFuzzer's -timeout). */
    private static final int INPUT_TIMEOUT_SECONDS = 10;
    private static final int MAX_RECIPIENTS = MessageLimits.DEFAULT_MAX_MULTI_RECIPIENTS;

    @FuzzTest
    @Timeout(INPUT_TIMEOUT_SECONDS)
    void payload(byte[] bytes) {
        MultiRecipientPayload payload;
        try {
            payload = MultiRecipientPayload.parse(ByteString.copyFrom(bytes), MAX_RECIPIENTS);
        } catch (ApiException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED);
            assertThat(e.getMessage()).matches("[A-Z].*\\.");
            return;
        }
        // Each recipient entry takes at least 17 bytes, each device 3: the input bounds the output.
        assertThat(payload.recipients()).isNotEmpty().hasSizeLessThanOrEqualTo(MAX_RECIPIENTS);
        assertThat(payload.deviceCount()).isPositive().isLessThanOrEqualTo(bytes.length / 3);
        assertThat(payload.sharedBytes().size()).isGreaterThanOrEqualTo(MultiRecipientPayload.PUBLIC_KEY_BYTES);
        Set<UUID> accounts = new HashSet<>();
        int devices = 0;
        for (MultiRecipientPayload.Recipient recipient : payload.recipients()) {
            assertThat(accounts.add(recipient.accountId())).as("each recipient once").isTrue();
            Set<Integer> ids = new HashSet<>();
            for (MultiRecipientPayload.Device device : recipient.devices()) {
                assertThat(device.id()).isBetween(1, MultiRecipientPayload.MAX_DEVICE_ID);
                assertThat(device.registrationId()).isBetween(0, 0x3FFF);
                assertThat(ids.add(device.id())).as("each device of a recipient once").isTrue();
            }
            devices += recipient.devices().size();
            if (recipient.excluded()) {
                assertThat(recipient.keyMaterial().isEmpty()).isTrue();
            } else {
                assertThat(recipient.keyMaterial().size()).isEqualTo(MultiRecipientPayload.KEY_MATERIAL_BYTES);
                ByteString received = payload.receivedMessage(recipient);
                assertThat(received.size()).isEqualTo(payload.receivedMessageBytes());
                assertThat(received.byteAt(0)).isEqualTo((byte) MultiRecipientPayload.RECEIVED_VERSION);
            }
        }
        assertThat(devices).isEqualTo(payload.deviceCount());
    }
}
