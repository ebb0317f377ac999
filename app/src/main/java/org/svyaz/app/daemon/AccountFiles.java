// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import java.nio.file.Path;
import org.svyaz.app.rpc.AppFiles;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.client.api.UserInputException;

/** The web app's files for the accounts a daemon serves. */
final class AccountFiles implements AppFiles {
    private final OpenAccounts accounts;

    AccountFiles(OpenAccounts accounts) {
        this.accounts = accounts;
    }

    @Override
    public Path received(String account, String id) throws RpcException {
        try {
            return accounts.named(account).receivedAttachment(id);
        } catch (UserInputException e) {
            throw RpcException.userError(e.getMessage());
        }
    }

    @Override
    public Path uploads() {
        return accounts.uploads();
    }
}
