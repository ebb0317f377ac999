// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Newline-delimited UTF-8 lines with a length cap. A line over the cap is skipped up to its newline
 * without being kept in memory, and reported as {@link OversizedLineException}; the next call reads the
 * line after it. A trailing {@code \r} is dropped; a last line without a newline still counts.
 */
final class LineReader {
    private final InputStream in;
    private final int maxBytes;
    private final byte[] buffer = new byte[8192];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int position;
    private int limit;

    LineReader(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** The next line without its terminator, or null at the end of the stream. */
    String readLine() throws IOException, OversizedLineException {
        line.reset();
        boolean oversized = false;
        boolean any = false;
        while (true) {
            if (position == limit) {
                int read = in.read(buffer);
                if (read < 0) {
                    if (oversized) {
                        throw new OversizedLineException(maxBytes);
                    }
                    return any ? decode() : null;
                }
                position = 0;
                limit = read;
            }
            any = true;
            int newline = indexOfNewline();
            int end = newline < 0 ? limit : newline;
            if (!oversized) {
                line.write(buffer, position, end - position);
                if (line.size() > maxBytes + 1) { // +1: the '\r' of a CRLF line that is exactly at the cap
                    oversized = true;
                    line.reset();
                }
            }
            position = newline < 0 ? limit : newline + 1;
            if (newline >= 0) {
                if (oversized) {
                    throw new OversizedLineException(maxBytes);
                }
                return decode();
            }
        }
    }

    private int indexOfNewline() {
        for (int i = position; i < limit; i++) {
            if (buffer[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private String decode() throws OversizedLineException {
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        if (length > maxBytes) {
            throw new OversizedLineException(maxBytes);
        }
        // Malformed UTF-8 becomes U+FFFD; the JSON parser then sees a string with a replacement character.
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }
}
