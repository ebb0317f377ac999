// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.svyaz.server.message.MessageLimits;
import org.svyaz.server.message.MultiRecipientPayload;
import org.svyaz.server.transport.TransportLimits;

/** The frame limit must carry the largest multi-recipient send the message limits allow. */
class ServerConfigTest {
    private static final ServerConfig DEFAULTS =
            ServerConfig.defaults(Path.of("unused"), new InetSocketAddress("127.0.0.1", 0));

    @Test
    void theDefaultFrameCarriesTheLargestMessageToTheLargestGroup() {
        MessageLimits messages = DEFAULTS.messages();
        assertThat(messages.maxMultiRecipients()).isGreaterThanOrEqualTo(1000);
        long needed = messages.maxMessageBytes()
                + (long) messages.maxMultiRecipients() * MultiRecipientPayload.BYTES_PER_SINGLE_DEVICE_RECIPIENT;
        assertThat((long) DEFAULTS.transport().maxFrameBytes()).isGreaterThan(needed);
    }

    @Test
    void aFrameTooSmallForTheLargestGroupIsRefusedAtStart() {
        MessageLimits messages = new MessageLimits(64 * 1024, 100, 1000, 32L * 1024 * 1024);
        int justEnough = (int) ServerConfig.maxMultiRecipientFrameBytes(messages);

        assertThat(DEFAULTS.withLimits(new TransportLimits(justEnough, Duration.ofMinutes(1)), messages)
                .transport().maxFrameBytes()).isEqualTo(justEnough);
        assertThatThrownBy(() -> DEFAULTS.withLimits(new TransportLimits(justEnough - 1, Duration.ofMinutes(1)), messages))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multi-recipient");
    }

    @Test
    void changingTheMailboxKeepsTheMultiRecipientLimits() {
        ServerConfig config = DEFAULTS.withLimits(DEFAULTS.transport(), new MessageLimits(64 * 1024, 100, 500, 1L << 20))
                .withMailbox(7, Duration.ofDays(1));

        assertThat(config.messages()).isEqualTo(new MessageLimits(64 * 1024, 7, 500, 1L << 20));
    }

    @Test
    void strangersMayFillHalfTheMailboxByDefaultAndTheShareIsSettableWithinTheMailbox() {
        assertThat(DEFAULTS.messages().maxStrangerEntries()).isEqualTo(DEFAULTS.messages().maxMailboxEntries() / 2);
        assertThat(DEFAULTS.withMailbox(7, Duration.ofDays(1)).messages().maxStrangerEntries()).isEqualTo(3);
        assertThat(DEFAULTS.withMailbox(1, Duration.ofDays(1)).messages().maxStrangerEntries()).isEqualTo(1);
        assertThat(DEFAULTS.withMailbox(100, 90, Duration.ofDays(1)).messages().maxStrangerEntries()).isEqualTo(90);

        for (int share : new int[] {0, 101}) {
            assertThatThrownBy(() -> DEFAULTS.withMailbox(100, share, Duration.ofDays(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("strangers");
        }
    }
}
