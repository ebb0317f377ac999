// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.util.Base64;

/** The PEM text form of DER keys and certificates, as openssl writes and reads them. */
final class Pem {
    private Pem() {}

    static String encode(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    static byte[] decode(String pem) {
        String body = pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(body);
    }
}
