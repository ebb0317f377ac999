// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@code Range} header read as nginx reads it, so the decoy site answers a prober's odd ranges
 * as nginx would: the whole file, 416, or the ranges that fall inside the file.
 */
final class ByteRanges {
    /** One range: {@code start} inclusive, {@code end} exclusive, inside the file. */
    record Span(long start, long end) {
        long length() {
            return end - start;
        }
    }

    /** What to send: {@code spans} empty with {@code whole} for the whole file, empty without it for 416. */
    record Answer(boolean whole, List<Span> spans) {
        static final Answer WHOLE = new Answer(true, List.of());
        static final Answer NOT_SATISFIABLE = new Answer(false, List.of());
    }

    private ByteRanges() {}

    /**
     * Reads {@code header} (null: none) for a file of {@code length} bytes. A header that does not
     * start with {@code bytes=} is ignored; a malformed one is not satisfiable; ranges that start
     * beyond the file are dropped, and if none is left the answer is 416; ranges that together ask
     * for more than the file get the whole file.
     */
    static Answer parse(String header, long length) {
        if (header == null || header.length() < 6 || !header.substring(0, 6).toLowerCase(Locale.ROOT).equals("bytes=")) {
            return Answer.WHOLE;
        }
        String spec = header.substring(6);
        List<Span> spans = new ArrayList<>();
        long asked = 0;
        int at = 0;
        while (true) {
            at = skipSpaces(spec, at);
            long start;
            long end;
            if (at < spec.length() && spec.charAt(at) == '-') {
                // A suffix: the last N bytes.
                Number suffix = number(spec, at + 1);
                if (suffix == null) {
                    return Answer.NOT_SATISFIABLE;
                }
                at = skipSpaces(spec, suffix.next());
                start = suffix.value() < length ? length - suffix.value() : 0;
                end = length;
            } else {
                Number first = number(spec, at);
                if (first == null) {
                    return Answer.NOT_SATISFIABLE;
                }
                at = skipSpaces(spec, first.next());
                if (at >= spec.length() || spec.charAt(at) != '-') {
                    return Answer.NOT_SATISFIABLE;
                }
                at = skipSpaces(spec, at + 1);
                start = first.value();
                if (at >= spec.length() || spec.charAt(at) == ',') {
                    end = length;
                } else {
                    Number last = number(spec, at);
                    if (last == null) {
                        return Answer.NOT_SATISFIABLE;
                    }
                    at = skipSpaces(spec, last.next());
                    end = last.value() >= length ? length : last.value() + 1;
                }
            }
            if (at < spec.length() && spec.charAt(at) != ',') {
                return Answer.NOT_SATISFIABLE;
            }
            if (start < end) {
                spans.add(new Span(start, end));
                asked += end - start;
                if (asked > length) {
                    return Answer.WHOLE;
                }
            } else if (start == 0) {
                return Answer.WHOLE;
            }
            if (at >= spec.length()) {
                break;
            }
            at++; // the comma
        }
        return spans.isEmpty() ? Answer.NOT_SATISFIABLE : new Answer(false, List.copyOf(spans));
    }

    private record Number(long value, int next) {}

    /** The decimal number at {@code at}; null when there is none or it overflows. */
    private static Number number(String text, int at) {
        int i = at;
        long value = 0;
        while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
            int digit = text.charAt(i) - '0';
            if (value > (Long.MAX_VALUE - digit) / 10) {
                return null;
            }
            value = value * 10 + digit;
            i++;
        }
        return i == at ? null : new Number(value, i);
    }

    private static int skipSpaces(String text, int at) {
        while (at < text.length() && text.charAt(at) == ' ') {
            at++;
        }
        return at;
    }
}
