// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.util.List;
import org.svyaz.bench.BenchException;

/**
 * A real system whose logins a test changes (to refuse some, count them, or wrap the sessions);
 * everything else goes to the real system as it is.
 */
public abstract class WrappedSystem implements MessagingSystem {
    private final MessagingSystem system;

    protected WrappedSystem(MessagingSystem system) {
        this.system = system;
    }

    /** The real system, for the wrapper's own {@link #logIn}. */
    protected final MessagingSystem system() {
        return system;
    }

    @Override
    public String description() {
        return system.description();
    }

    @Override
    public List<Long> serverPids() {
        return system.serverPids();
    }

    @Override
    public void createUsers(int users) throws BenchException {
        system.createUsers(users);
    }
}
