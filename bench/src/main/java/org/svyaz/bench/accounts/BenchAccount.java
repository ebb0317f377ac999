// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.accounts;

import java.util.Optional;
import java.util.UUID;
import org.svyaz.protocol.DeviceCredentials;

/**
 * One registered benchmark user: enough to log in and to address messages to it.
 *
 * @param index the user's number in this run, 0 to N - 1
 * @param credentials its primary device's login
 * @param registrationId the device's libsignal registration id, which every send to it must name
 * @param keys the private and public keys it registered with, when the registrar was asked to keep them
 */
public record BenchAccount(int index, DeviceCredentials credentials, int registrationId, Optional<BenchKeys> keys) {
    public UUID accountId() {
        return credentials.accountId();
    }
}
