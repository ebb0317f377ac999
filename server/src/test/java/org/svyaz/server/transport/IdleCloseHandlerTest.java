// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IdleCloseHandlerTest {
    private static final Duration SILENCE = Duration.ofSeconds(120);

    @Test
    void closesAConnectionOnlyAfterItWasSilentForTheWholeTimeout() {
        EmbeddedChannel channel = new EmbeddedChannel(new IdleCloseHandler(SILENCE));

        pass(channel, Duration.ofSeconds(119));
        assertThat(channel.isOpen()).as("silent for less than the timeout").isTrue();

        // Traffic starts the count again.
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
        ((io.netty.buffer.ByteBuf) channel.readInbound()).release();
        pass(channel, Duration.ofSeconds(119));
        assertThat(channel.isOpen()).as("119 s after the last read").isTrue();

        pass(channel, Duration.ofSeconds(2));
        assertThat(channel.isOpen()).as("121 s after the last read").isFalse();
    }

    @Test
    void writesCountAsTrafficToo() {
        EmbeddedChannel channel = new EmbeddedChannel(new IdleCloseHandler(SILENCE));
        pass(channel, Duration.ofSeconds(100));
        channel.writeOutbound(Unpooled.wrappedBuffer(new byte[] {1}));
        ((io.netty.buffer.ByteBuf) channel.readOutbound()).release();
        pass(channel, Duration.ofSeconds(100));
        assertThat(channel.isOpen()).as("100 s after a write").isTrue();
        pass(channel, Duration.ofSeconds(21));
        assertThat(channel.isOpen()).isFalse();
    }

    private static void pass(EmbeddedChannel channel, Duration time) {
        channel.advanceTimeBy(time.toMillis(), TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }
}
