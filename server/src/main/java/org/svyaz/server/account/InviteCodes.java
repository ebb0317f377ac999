// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.account;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import org.svyaz.server.store.AccountStore;
import org.svyaz.server.store.StoreException;

/** One-time invite codes for servers with invite-only registration; only their hashes are stored. */
public final class InviteCodes {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AccountStore accounts;
    private final Clock clock;

    public InviteCodes(AccountStore accounts, Clock clock) {
        this.accounts = accounts;
        this.clock = clock;
    }

    /** Makes a code valid for {@code validity}; the code itself is returned once and never stored. */
    public String create(Duration validity) throws StoreException {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        String code = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        accounts.addInviteCode(hash(code), clock.millis() + validity.toMillis());
        return code;
    }

    /** What is stored of a code. */
    public static byte[] hash(String code) {
        return Credentials.sha256(code.getBytes(StandardCharsets.UTF_8));
    }
}
