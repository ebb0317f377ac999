// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.nio.file.Path;

/** The files the web app moves: uploads waiting to be sent, and received files to show or save. */
public interface AppFiles {
    /**
     * A received file of {@code account} by its id (what envelopes and listMessages give as
     * {@code attachments[].id}); never a file outside the account's attachment folder.
     */
    Path received(String account, String id) throws RpcException;

    /** Where uploads wait until a {@code send} names them; only the owner may enter it. */
    Path uploads();
}
