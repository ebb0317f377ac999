// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.util.regex.Pattern;

/** Which strings are one emoji, as a reaction must be. */
final class Emoji {
    /** One extended grapheme cluster: what a reader sees as one character (👍🏽, 🏳️‍🌈 and 🇷🇺 included). */
    private static final Pattern ONE_GRAPHEME = Pattern.compile("\\X");
    /** Longer than any emoji sequence Unicode defines; keeps pathological clusters out. */
    private static final int MAX_CHARS = 64;
    private static final int KEYCAP = 0x20E3;

    private Emoji() {}

    /**
     * True for exactly one emoji: one grapheme cluster that holds a pictograph, is a flag (a pair
     * of regional indicators) or a keycap (1️⃣). Plain letters and digits, which Unicode also marks
     * as emoji components, and several emoji in a row are refused.
     */
    static boolean isSingle(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_CHARS || !ONE_GRAPHEME.matcher(text).matches()) {
            return false;
        }
        if (text.codePoints().anyMatch(Character::isExtendedPictographic) || text.codePoints().anyMatch(c -> c == KEYCAP)) {
            return true;
        }
        return text.codePointCount(0, text.length()) == 2 && text.codePoints().allMatch(Emoji::isRegionalIndicator);
    }

    private static boolean isRegionalIndicator(int codePoint) {
        return codePoint >= 0x1F1E6 && codePoint <= 0x1F1FF;
    }
}
