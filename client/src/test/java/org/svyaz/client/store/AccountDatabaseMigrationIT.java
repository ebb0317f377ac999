// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.client.api.Quote;

/**
 * An account written by an older version (schema 5) opens, gains the later tables and columns (v6
 * and v7 tables, v10 quotes of sent replies) and keeps its messages.
 */
class AccountDatabaseMigrationIT {
    @TempDir
    Path temp;

    @Test
    void aVersionFiveAccountGainsSignalsAndGroupsAndKeepsItsInbox() throws Exception {
        Path file = temp.resolve("account.db");
        UUID alice = UUID.randomUUID();
        try (AccountDatabase db = AccountDatabase.open(file)) {
            new LocalMessages(db).insert(alice, "alice.11", 1, 1000, 1001, "kept across the upgrade", null, false);
            // Back to what version 5 wrote: no tables or inbox columns of later versions.
            db.locked(() -> {
                try (Statement s = db.connection().createStatement()) {
                    s.execute("DROP INDEX inbox_by_message");
                    s.execute("DROP INDEX inbox_unread");
                    for (String table : new String[] {"sent", "receipts", "reactions", "owed_receipts", "groups",
                            "sender_key_holders", "calls"}) {
                        s.execute("DROP TABLE " + table);
                    }
                    for (String column : new String[] {"quote_id", "quote_author", "quote_text", "edited_at",
                            "remote_deleted", "signal", "group_id", "group_update", "read_at"}) {
                        s.execute("ALTER TABLE inbox DROP COLUMN " + column);
                    }
                    s.execute("PRAGMA user_version = 5");
                }
                return null;
            });
        }
        try (AccountDatabase db = AccountDatabase.open(file)) {
            assertThat(version(db)).isEqualTo(AccountDatabase.VERSION).isEqualTo(11);
            assertThat(new LocalCalls(db).recent(10, 0)).as("the call log's table is there, empty").isEmpty();
            assertThat(new LocalMessages(db).unshown()).singleElement()
                    .satisfies(p -> assertThat(p.message().body()).contains("kept across the upgrade"));
            LocalSignals signals = new LocalSignals(db);
            LocalConversations conversations = new LocalConversations(db);
            Quote quote = new Quote(1000, alice, "kept across the upgrade");
            signals.recordSent(alice, 2000, "sent after the upgrade", List.of(), Optional.of(quote), 0, 2000);
            assertThat(conversations.conversation(alice, UUID.randomUUID())).hasSize(2)
                    .filteredOn(m -> m.outgoing()).singleElement()
                    .satisfies(m -> assertThat(m.quote()).contains(quote));
            assertThat(conversations.conversation(alice, UUID.randomUUID())).hasSize(2)
                    .filteredOn(m -> !m.outgoing()).singleElement()
                    .satisfies(m -> assertThat(m.readAt()).as("what came before counts as read").isPresent());
            assertThat(conversations.chatSummary(alice)).hasValueSatisfying(chat -> {
                assertThat(chat.unread()).isZero();
                assertThat(chat.lastOutgoing()).isTrue();
            });
            assertThat(new GroupStore(db).all()).isEmpty();
        }
    }

    private static int version(AccountDatabase db) {
        return db.locked(() -> {
            try (Statement s = db.connection().createStatement(); ResultSet rows = s.executeQuery("PRAGMA user_version")) {
                rows.next();
                return rows.getInt(1);
            }
        });
    }
}
