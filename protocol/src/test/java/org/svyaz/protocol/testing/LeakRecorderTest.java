// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak check itself: a buffer nobody releases is reported, and would fail its test class. */
class LeakRecorderTest {
    @Test
    void aBufferNeverReleasedIsReported() {
        assertThat(System.getProperty("io.netty.customResourceLeakDetector")).isEqualTo(LeakRecorder.class.getName());
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        leakOne();

        List<String> leaks = new ArrayList<>();
        // Bounded: a collection or two is enough in practice; the detector is looked at on each allocation.
        for (int round = 0; round < 20 && leaks.isEmpty(); round++) {
            System.gc();
            PooledByteBufAllocator.DEFAULT.buffer(1).release();
            leaks.addAll(LeakRecorder.drain());
        }

        assertThat(LeakRecorder.installed()).isTrue();
        assertThat(leaks).anySatisfy(leak -> assertThat(leak).startsWith("LEAK: ").contains("leakOne"));
    }

    /** In a method of its own, so nothing in the test's frame keeps the buffer reachable. */
    private static void leakOne() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.buffer(16);
        leaked.writeInt(42);
    }
}
