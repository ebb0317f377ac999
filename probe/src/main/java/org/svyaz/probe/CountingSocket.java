// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP socket that counts the bytes it receives. TLS hands data up only in whole records (up to
 * 16 KiB), so on a connection shaped to a trickle the bytes read through TLS stand still for
 * seconds while the connection is making progress; the count underneath shows the real rate.
 */
final class CountingSocket extends Socket {
    private final AtomicLong received = new AtomicLong();
    private InputStream counted;

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (counted == null) {
            counted = new FilterInputStream(super.getInputStream()) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        received.incrementAndGet();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n = super.read(buffer, offset, length);
                    if (n > 0) {
                        received.addAndGet(n);
                    }
                    return n;
                }
            };
        }
        return counted;
    }

    /** Bytes received so far, TLS records and all. */
    long received() {
        return received.get();
    }
}
