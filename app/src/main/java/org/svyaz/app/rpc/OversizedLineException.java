// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

/** A line longer than the limit was read and thrown away; the stream is positioned after it. */
final class OversizedLineException extends Exception {
    OversizedLineException(int limit) {
        super("request line longer than " + limit + " bytes", null, false, false);
    }
}
