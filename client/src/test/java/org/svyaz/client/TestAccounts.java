// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.svyaz.client.api.ReceivedMessage;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.protocol.DeviceCredentials;

/** Helpers for tests that need what the library keeps private, or wait for messages. */
final class TestAccounts {
    private TestAccounts() {}

    /**
     * The device credentials a registered account stored in its database, for tests that talk to
     * the server directly as that device.
     */
    static DeviceCredentials credentials(Path accountDir) throws Exception {
        try (AccountDatabase db = AccountDatabase.open(accountDir.resolve(SvyazClient.ACCOUNT_FILE))) {
            return new DeviceCredentials(
                    UUID.fromString(new String(db.setting("account_id"), StandardCharsets.UTF_8)),
                    Integer.parseInt(new String(db.setting("device_id"), StandardCharsets.UTF_8)),
                    db.setting("password"));
        }
    }

    /**
     * Receives until a message matching {@code last} was shown (or 30 s pass) and returns everything
     * shown, in order. Messages pushed on one connection are shown in server order, so once
     * {@code last} is shown everything sent before it has been processed too.
     */
    static List<ReceivedMessage> receiveUntil(SvyazClient client, Predicate<ReceivedMessage> last) throws Exception {
        List<ReceivedMessage> received = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (received.stream().noneMatch(last) && System.nanoTime() < deadline) {
            // One at a time, so the call returns as soon as the awaited message is shown.
            client.receive(Duration.ofSeconds(2), 1, received::add);
        }
        return received;
    }

    static Predicate<ReceivedMessage> body(String text) {
        return m -> m.body().filter(text::equals).isPresent();
    }
}
