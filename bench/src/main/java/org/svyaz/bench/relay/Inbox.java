// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.function.Consumer;

/**
 * Where a {@link UserSession} hands every message that reaches its user. A system that carries
 * the benchmark bytes as they are only ever calls {@link #arrived}; one that encrypts them end to
 * end also reports the arrivals it could not turn back into those bytes, so that none goes uncounted.
 */
public interface Inbox {
    /** For a connection that is not part of the counting (a login probe, a registration): drops everything. */
    Inbox DISCARD = new Inbox() {
        @Override
        public void arrived(byte[] blob) {}

        @Override
        public void arrivedAgain() {}

        @Override
        public void arrivedUndecryptable() {}
    };

    /**
     * For a system that carries the bytes as they are: every arrival goes to {@code arrived}; the
     * decryption outcomes cannot happen there, and one that did would be a bug in the tool.
     */
    static Inbox opaque(Consumer<byte[]> arrived) {
        return new Inbox() {
            @Override
            public void arrived(byte[] blob) {
                arrived.accept(blob);
            }

            @Override
            public void arrivedAgain() {
                throw new IllegalStateException("an opaque payload is never decrypted");
            }

            @Override
            public void arrivedUndecryptable() {
                throw new IllegalStateException("an opaque payload is never decrypted");
            }
        };
    }

    /** A message arrived: the exact bytes sent (in an end-to-end mode, as decrypted). */
    void arrived(byte[] blob);

    /**
     * A message arrived that end-to-end decryption recognised as one it had already decrypted:
     * libsignal never uses a message key twice, so the bytes cannot be read again, but the
     * arrival is a duplicate delivery and is counted as one.
     */
    void arrivedAgain();

    /** A message arrived that failed end-to-end decryption: it is not the bytes that were sent. */
    void arrivedUndecryptable();
}
