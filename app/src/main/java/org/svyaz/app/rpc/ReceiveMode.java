// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.util.Arrays;
import java.util.stream.Collectors;

/** When the daemon starts receiving messages, and who gets them ({@code --receive-mode}). */
public enum ReceiveMode {
    /** Receive from start-up; every connection gets every message. */
    ON_START("on-start"),
    /** Receive once the first connection opens; every connection gets every message. */
    ON_CONNECTION("on-connection"),
    /** Receive once someone calls subscribeReceive; only subscriptions get messages. */
    MANUAL("manual");

    private final String cliName;

    ReceiveMode(String cliName) {
        this.cliName = cliName;
    }

    /** The value on the command line: on-start, on-connection or manual. */
    public String cliName() {
        return cliName;
    }

    /** Whether connections get messages without subscribing. */
    public boolean deliversToEveryConnection() {
        return this != MANUAL;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static ReceiveMode fromCliName(String value) {
        for (ReceiveMode mode : values()) {
            if (mode.cliName.equals(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("receive mode must be one of "
                + Arrays.stream(values()).map(ReceiveMode::cliName).collect(Collectors.joining(", "))
                + ", not '" + value + "'");
    }
}
