// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.message;

import java.util.UUID;

/** One device of one account. */
public record DeviceAddress(UUID accountId, int deviceId) {}
