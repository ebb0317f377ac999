// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * What one benchmark message carries, in the clear at the front of an otherwise opaque blob: who
 * sent it to whom, its sequence number and when it was sent. The server treats the whole blob as
 * ciphertext; the receiver reads the header to count losses and duplicates and to time delivery.
 *
 * <p>Layout (big-endian): magic (4 bytes), sender index (4), recipient index (4), sequence (4),
 * send time from {@link System#nanoTime()} (8), then filler up to the message size. Sender and
 * receiver run in the same load-tool process, so one nanoTime clock serves both ends.
 *
 * @param sender index of the sending user
 * @param recipient index of the user it was sent to (a mismatch on arrival means misrouting)
 * @param sequence the sender's message number, from 0
 * @param sentNanos {@link System#nanoTime()} just before the send request was written
 */
public record Payload(int sender, int recipient, int sequence, long sentNanos) {
    /** "SVZB": tells a benchmark message from anything else that might be pushed. */
    static final int MAGIC = 0x53565A42;
    /** The smallest message that still holds the header. */
    public static final int HEADER_BYTES = 24;

    /** The header followed by {@code filler} (cycled) up to {@code size} bytes. */
    public byte[] encode(int size, byte[] filler) {
        if (size < HEADER_BYTES) {
            throw new IllegalArgumentException("a benchmark message is at least " + HEADER_BYTES + " bytes");
        }
        byte[] blob = new byte[size];
        ByteBuffer.wrap(blob).putInt(MAGIC).putInt(sender).putInt(recipient).putInt(sequence).putLong(sentNanos);
        for (int i = HEADER_BYTES, j = 0; i < size && filler.length > 0; i++, j = (j + 1) % filler.length) {
            blob[i] = filler[j];
        }
        return blob;
    }

    /** The header of a received blob, or empty when it is not a benchmark message. */
    public static Optional<Payload> decode(byte[] blob) {
        if (blob.length < HEADER_BYTES) {
            return Optional.empty();
        }
        ByteBuffer buffer = ByteBuffer.wrap(blob);
        if (buffer.getInt() != MAGIC) {
            return Optional.empty();
        }
        return Optional.of(new Payload(buffer.getInt(), buffer.getInt(), buffer.getInt(), buffer.getLong()));
    }
}
