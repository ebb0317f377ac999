// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.api;

import java.util.UUID;

/** The authenticated device behind a connection. */
public record Caller(UUID accountId, int deviceId) {}
