// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.xmpp;

/** The XMPP driver against a real ejabberd (Debian package), started by bench/peers/ejabberd.sh. */
class EjabberdIT extends XmppServerContract {
    @Override
    String serverName() {
        return "ejabberd";
    }
}
