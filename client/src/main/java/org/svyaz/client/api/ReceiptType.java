// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.api;

/** What a receipt says about the messages it names, as in Signal. */
public enum ReceiptType {
    /** The recipient's device stored them (sent automatically). */
    DELIVERY,
    /** The recipient read them (sent by the user, {@code sendReceipt --type read}). */
    READ,
    /** The recipient viewed their media. */
    VIEWED
}
