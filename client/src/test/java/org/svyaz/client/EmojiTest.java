// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EmojiTest {
    @ParameterizedTest
    @ValueSource(strings = {"👍", "👍🏽", "❤", "❤️", "🏳️‍🌈", "👨‍👩‍👧", "🇷🇺", "1️⃣", "😀"})
    void oneEmojiIsAReaction(String emoji) {
        assertThat(Emoji.isSingle(emoji)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "a", "ab", "1", "#", "👍👍", "👍x", "x👍", "🇷", "🇷🇺🇷🇺", "ok", "\u200D", "\uFE0F"})
    void anythingElseIsNot(String text) {
        assertThat(Emoji.isSingle(text)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void nullAndOverlongClustersAreNot() {
        assertThat(Emoji.isSingle(null)).isFalse();
        assertThat(Emoji.isSingle("👍" + "\u0301".repeat(100))).isFalse();
    }
}
