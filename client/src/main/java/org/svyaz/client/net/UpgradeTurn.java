// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Routes race up to their TLS handshake with the server; only then does one of them, and one at a
 * time, go on to the WebSocket upgrade that presents the device's credentials. The server keeps one
 * connection per device and closes the older one when another arrives, so two routes finishing
 * their upgrades would cut off the winner.
 */
final class UpgradeTurn {
    static final String SUPERSEDED = "another route connected first";

    private final Semaphore turn = new Semaphore(1);
    private volatile boolean taken;

    /** Waits for the turn; false when another route already upgraded (or the wait ran out). */
    boolean acquire(Duration timeout) throws InterruptedException {
        if (taken || !turn.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return false;
        }
        if (taken) {
            turn.release();
            return false;
        }
        return true;
    }

    void release(boolean upgraded) {
        if (upgraded) {
            taken = true;
        }
        turn.release();
    }

    /**
     * Holds back the channel-active event from the HTTP and WebSocket handlers behind it (which
     * would start the upgrade at once) until {@link #open()}; the TLS handshake before it runs.
     */
    static final class Gate extends ChannelInboundHandlerAdapter {
        private ChannelHandlerContext context;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            context = ctx;
        }

        void open() {
            ChannelHandlerContext ctx = context;
            ctx.executor().execute(ctx::fireChannelActive);
        }
    }
}
