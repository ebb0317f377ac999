// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reported a buffer that was never released. Loaded
 * into every test class of the modules that depend on this test-jar (JUnit's extension
 * auto-detection, switched on in the parent POM).
 *
 * <p>Netty notices a leak only once the garbage collector has taken the buffer and a later buffer
 * is allocated, so after each class this collects garbage and allocates a few buffers. A leak is
 * therefore reported by the class that made it or, when the collector took it late, by a later
 * class of the same run: the message carries Netty's record of where the buffer was last used.
 */
public final class NettyLeakCheck implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        if (!LeakRecorder.installed()) {
            return; // this run did not ask for leak detection
        }
        // Twice: a buffer's cleaner may need one collection to become unreachable and another to be queued.
        for (int round = 0; round < 2; round++) {
            System.gc();
            poll();
        }
        List<String> leaks = LeakRecorder.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " leaked buffer(s) by the end of "
                    + context.getDisplayName() + " (made here or in an earlier class of this run):\n"
                    + String.join("\n", leaks));
        }
    }

    /** Each tracked allocation makes the detector look at the buffers collected so far. */
    private static void poll() {
        for (int i = 0; i < 4; i++) {
            ByteBuf pooled = PooledByteBufAllocator.DEFAULT.buffer(1);
            ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.buffer(1);
            pooled.release();
            unpooled.release();
        }
    }
}
