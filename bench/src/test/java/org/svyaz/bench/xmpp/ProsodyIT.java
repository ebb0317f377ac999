// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.xmpp;

/** The XMPP driver against a real Prosody (Debian package), started by bench/peers/prosody.sh. */
class ProsodyIT extends XmppServerContract {
    @Override
    String serverName() {
        return "prosody";
    }
}
