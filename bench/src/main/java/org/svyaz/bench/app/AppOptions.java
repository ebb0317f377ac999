// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.app;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One run of the web app's benchmark, validated here once.
 *
 * @param chats accounts that each send alice one message: the chat list has one chat more, the big one
 * @param messages messages the one other contact sends alice: the conversation scrolled back through
 * @param window unanswered calls at most on the senders' daemon connection, for registering and sending
 * @param launcher the {@code svyaz} command that registers, runs the daemons and the app
 * @param browser the Chromium binary
 * @param driver its chromedriver
 * @param cpuProfiles where each step's CPU profile is written; null: steps are not profiled
 */
public record AppOptions(int chats, int messages, int window, Path launcher, Path browser, Path driver,
                         Path cpuProfiles) {
    /** The daemon's limit on one connection's running calls (app's PeerLimits.DEFAULT). */
    static final int MAX_WINDOW = 4_096;
    /** Nicknames are "chat" and four digits; more would need a wider number. */
    static final int MAX_CHATS = 10_000;

    public AppOptions {
        if (chats < 1 || chats > MAX_CHATS) {
            throw new IllegalArgumentException("--chats must be between 1 and " + MAX_CHATS);
        }
        if (messages < 1) {
            throw new IllegalArgumentException("--messages must be at least 1");
        }
        if (window < 1 || window > MAX_WINDOW) {
            throw new IllegalArgumentException("--window must be between 1 and " + MAX_WINDOW
                    + " (the daemon's limit of running calls per connection)");
        }
        if (!Files.isExecutable(launcher)) {
            throw new IllegalArgumentException("--svyaz must name the svyaz launcher, and " + launcher
                    + " is not an executable file");
        }
        if (!Files.isExecutable(browser) || !Files.isExecutable(driver)) {
            throw new IllegalArgumentException("Chromium and its driver are needed (" + browser + ", " + driver
                    + "): apt-get install chromium chromium-driver, as .ci/run does");
        }
    }

    /** The nickname of the {@code index}th chat's sender (its username adds digits the server picks). */
    static String chatNickname(int index) {
        return String.format("chat%04d", index);
    }

    /**
     * What step (c) types into the search: the last sender's nickname without its last digit, so up
     * to ten chats match (chat099 of chat0000 to chat0999), by nickname and by message.
     */
    String searchQuery() {
        return chatNickname(chats - 1).substring(0, 7);
    }

    /** How many chats {@link #searchQuery()} leaves in the list: their nickname (and message) has it. */
    int searchMatches() {
        int matches = 0;
        for (int i = 0; i < chats; i++) {
            if (chatNickname(i).contains(searchQuery())) {
                matches++;
            }
        }
        return matches;
    }
}
