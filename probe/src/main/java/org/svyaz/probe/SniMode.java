// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.security.SecureRandom;

/**
 * What the probe's ClientHello names. Comparing them tells SNI filtering (only the real name
 * fails) from blocking of the address or of TLS as such (every mode fails).
 */
enum SniMode {
    /** The server's own name, as the client's direct route sends it. */
    REAL("tls_handshake_sni"),
    /** A made-up name, fresh for each probe: no censor has it on a list. Measured, never used by the client. */
    RANDOM("tls_handshake_random_sni"),
    /** No SNI at all, as the client's no_sni route and connections to bare addresses send it. */
    NONE("tls_handshake_no_sni"),
    /** The descriptor's first cover name, as the client's cover_sni route sends it. */
    COVER("tls_handshake_cover_sni");

    private static final SecureRandom RANDOM_SOURCE = new SecureRandom();
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";
    private static final String LETTERS_AND_DIGITS = LETTERS + "0123456789";

    final String step;

    SniMode(String step) {
        this.step = step;
    }

    /** A name like {@code x7k2p9q4.com}: a letter, seven letters or digits, a common top-level domain. */
    static String randomName() {
        StringBuilder name = new StringBuilder();
        name.append(LETTERS.charAt(RANDOM_SOURCE.nextInt(LETTERS.length())));
        for (int i = 0; i < 7; i++) {
            name.append(LETTERS_AND_DIGITS.charAt(RANDOM_SOURCE.nextInt(LETTERS_AND_DIGITS.length())));
        }
        return name.append(".com").toString();
    }
}
