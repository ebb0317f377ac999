// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.daemon;

import java.util.OptionalInt;

/**
 * The text of one benchmark message: {@code svyaz-bench RUN PATH SEQUENCE } and filler up to the
 * message size. Unlike the relay scenario's binary header, this goes through a daemon's JSON and a
 * command line as text, so it is plain ASCII (one byte per character) and carries no send time: the
 * load tool keeps those itself, by sequence number.
 *
 * @param run tells this run's messages from an earlier run's still in a mailbox
 * @param path which way they were sent ("daemon" or "cli"), so the two paths' books stay apart
 */
record MessageText(String run, String path) {
    private static final String MAGIC = "svyaz-bench";
    /** Enough for the prefix of a long run id and path and a ten-digit sequence number. */
    static final int MIN_SIZE = 64;

    MessageText {
        if (run.isEmpty() || path.isEmpty() || run.contains(" ") || path.contains(" ")) {
            throw new IllegalArgumentException("run and path are single non-empty words");
        }
    }

    private String prefix() {
        return MAGIC + " " + run + " " + path + " ";
    }

    /** Message {@code sequence}, exactly {@code size} ASCII characters. */
    String text(int sequence, int size) {
        String head = prefix() + sequence + " ";
        if (size < head.length()) {
            throw new IllegalArgumentException("a message of this run needs at least " + head.length() + " bytes");
        }
        return head + "x".repeat(size - head.length());
    }

    /** The sequence number of a message of this run and path; empty for any other text. */
    OptionalInt sequenceOf(String text) {
        String prefix = prefix();
        if (text == null || !text.startsWith(prefix)) {
            return OptionalInt.empty();
        }
        int end = text.indexOf(' ', prefix.length());
        if (end < 0) {
            return OptionalInt.empty();
        }
        try {
            int sequence = Integer.parseInt(text, prefix.length(), end, 10);
            return sequence < 0 ? OptionalInt.empty() : OptionalInt.of(sequence);
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
