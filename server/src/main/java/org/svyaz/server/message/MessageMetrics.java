// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The message counters, registered once per server. Each accepted request counts once, so an
 * operator (or a test) can tell one multi-recipient send from many single sends; envelopes count
 * per stored device message. Prometheus names: {@code svyaz_single_sends_total},
 * {@code svyaz_multi_recipient_sends_total} (both tagged {@code access="authenticated"|"sealed"})
 * and {@code svyaz_messages_stored_total}. No tag names an account.
 */
public final class MessageMetrics {
    public static final String SINGLE_SENDS = "svyaz.single.sends";
    public static final String MULTI_RECIPIENT_SENDS = "svyaz.multi.recipient.sends";
    public static final String STORED = "svyaz.messages.stored";
    public static final String ACCESS_TAG = "access";
    public static final String AUTHENTICATED = "authenticated";
    public static final String SEALED = "sealed";

    private final Counter singleSends;
    private final Counter singleSealedSends;
    private final Counter multiRecipientSends;
    private final Counter multiRecipientSealedSends;
    private final Counter stored;

    public MessageMetrics(MeterRegistry registry) {
        this.singleSends = registry.counter(SINGLE_SENDS, ACCESS_TAG, AUTHENTICATED);
        this.singleSealedSends = registry.counter(SINGLE_SENDS, ACCESS_TAG, SEALED);
        this.multiRecipientSends = registry.counter(MULTI_RECIPIENT_SENDS, ACCESS_TAG, AUTHENTICATED);
        this.multiRecipientSealedSends = registry.counter(MULTI_RECIPIENT_SENDS, ACCESS_TAG, SEALED);
        this.stored = registry.counter(STORED);
    }

    void singleSent(boolean sealed) {
        (sealed ? singleSealedSends : singleSends).increment();
    }

    void multiRecipientSent(boolean sealed) {
        (sealed ? multiRecipientSealedSends : multiRecipientSends).increment();
    }

    void stored(int envelopes) {
        stored.increment(envelopes);
    }

    /** Accepted single sends (one destination account), authenticated and sealed. */
    public long singleSends() {
        return (long) (singleSends.count() + singleSealedSends.count());
    }

    /** Accepted multi-recipient sends, authenticated and sealed. */
    public long multiRecipientSends() {
        return (long) (multiRecipientSends.count() + multiRecipientSealedSends.count());
    }

    /** Accepted multi-recipient sends on the sealed (unauthenticated) path. */
    public long multiRecipientSealedSends() {
        return (long) multiRecipientSealedSends.count();
    }

    /** Envelopes stored for devices, by every kind of send. */
    public long storedEnvelopes() {
        return (long) stored.count();
    }
}
