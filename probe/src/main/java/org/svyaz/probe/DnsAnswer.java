// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.probe;

import java.net.InetAddress;
import java.util.List;

/** One DNS source's answer for a name: the step as measured, and the addresses it gave (none when it failed). */
record DnsAnswer(StepResult step, List<InetAddress> addresses) {
    boolean ok() {
        return step.ok() && !addresses.isEmpty();
    }

    List<String> literals() {
        return addresses.stream().map(InetAddress::getHostAddress).toList();
    }
}
