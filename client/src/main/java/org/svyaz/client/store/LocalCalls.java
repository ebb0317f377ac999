// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.svyaz.client.api.CallRecord;
import org.svyaz.client.api.CallStep;

/**
 * The call log, kept from the call set-up messages this device sends and receives: an offer starts
 * a row, an answer marks it taken, a hangup or busy ends it. Received steps are recorded in the
 * transaction that stores their envelope, so a step is counted once.
 */
public final class LocalCalls {
    /** A call that rang this long without an answer or an end is over (the caller's app gives up after a minute). */
    public static final long RING_MILLIS = 60_000;

    private final AccountDatabase db;

    public LocalCalls(AccountDatabase db) {
        this.db = db;
    }

    /**
     * Records a step of a call with {@code peer}: sent by this user ({@code fromMe}) or by the peer,
     * at {@code atMillis}. A step for a call this log has no offer of changes nothing.
     */
    public void record(UUID peer, boolean fromMe, CallStep step, long atMillis) {
        db.locked(() -> switch (step) {
            case CallStep.Offer offer -> update("""
                    INSERT OR IGNORE INTO calls (peer_account, call_id, outgoing, video, started_at)
                    VALUES (?, ?, ?, ?, ?)""", peer.toString(), offer.callId(), fromMe ? 1 : 0, offer.video() ? 1 : 0,
                    atMillis);
            // The answer comes from the callee: the peer for a call this user made, and the other way round.
            case CallStep.Answer answer -> update("""
                    UPDATE calls SET answered_at = ? WHERE peer_account = ? AND call_id = ? AND outgoing = ?
                      AND answered_at IS NULL AND ended_at IS NULL""", atMillis, peer.toString(), answer.callId(),
                    fromMe ? 0 : 1);
            case CallStep.Hangup hangup -> ended(peer, hangup.callId(), hangup.type().name(), fromMe, atMillis);
            case CallStep.Busy busy -> ended(peer, busy.callId(), CallStep.HangupType.BUSY.name(), fromMe, atMillis);
            case CallStep.Candidates candidates -> 0;
        });
    }

    private int ended(UUID peer, long callId, String type, boolean fromMe, long atMillis) throws java.sql.SQLException {
        return update("""
                UPDATE calls SET ended_at = ?, end_type = ?, ended_by_me = ?
                WHERE peer_account = ? AND call_id = ? AND ended_at IS NULL""",
                atMillis, type, fromMe ? 1 : 0, peer.toString(), callId);
    }

    private int update(String sql, Object... values) throws java.sql.SQLException {
        try (PreparedStatement u = db.connection().prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                u.setObject(i + 1, values[i]);
            }
            return u.executeUpdate();
        }
    }

    /** The newest {@code limit} calls, newest first, each with what became of it by {@code nowMillis}. */
    public List<CallRecord> recent(int limit, long nowMillis) {
        return db.locked(() -> {
            List<CallRecord> calls = new ArrayList<>();
            try (PreparedStatement q = db.connection().prepareStatement("""
                    SELECT c.peer_account, c.call_id, c.outgoing, c.video, c.started_at, c.answered_at, c.ended_at,
                           c.end_type, c.ended_by_me, contacts.username
                    FROM calls c LEFT JOIN contacts ON contacts.account_id = c.peer_account
                    ORDER BY c.started_at DESC, c.call_id DESC LIMIT ?""")) {
                q.setInt(1, limit);
                try (ResultSet rows = q.executeQuery()) {
                    while (rows.next()) {
                        boolean outgoing = rows.getInt(3) != 0;
                        long startedAt = rows.getLong(5);
                        Optional<Long> answeredAt = optionalLong(rows, 6);
                        Optional<Long> endedAt = optionalLong(rows, 7);
                        String endType = rows.getString(8);
                        boolean endedByMe = rows.getInt(9) != 0;
                        calls.add(new CallRecord(rows.getLong(2), UUID.fromString(rows.getString(1)),
                                Optional.ofNullable(rows.getString(10)), outgoing, rows.getInt(4) != 0, startedAt,
                                answeredAt, endedAt, outcome(outgoing, startedAt, answeredAt, endedAt, endType,
                                        endedByMe, nowMillis)));
                    }
                }
            }
            return calls;
        });
    }

    static CallRecord.Outcome outcome(boolean outgoing, long startedAt, Optional<Long> answeredAt,
                                      Optional<Long> endedAt, String endType, boolean endedByMe, long nowMillis) {
        if (answeredAt.isPresent()) {
            return CallRecord.Outcome.ANSWERED;
        }
        boolean over = endedAt.isPresent() || nowMillis - startedAt > RING_MILLIS;
        if (!over) {
            return CallRecord.Outcome.RINGING;
        }
        boolean byCallee = endedAt.isPresent() && (outgoing != endedByMe);
        if (outgoing) {
            if (byCallee && "BUSY".equals(endType)) {
                return CallRecord.Outcome.BUSY;
            }
            return byCallee && "DECLINED".equals(endType) ? CallRecord.Outcome.DECLINED : CallRecord.Outcome.NOT_ANSWERED;
        }
        return byCallee && "DECLINED".equals(endType) ? CallRecord.Outcome.DECLINED : CallRecord.Outcome.MISSED;
    }

    private static Optional<Long> optionalLong(ResultSet rows, int column) throws java.sql.SQLException {
        long value = rows.getLong(column);
        return rows.wasNull() ? Optional.empty() : Optional.of(value);
    }
}
