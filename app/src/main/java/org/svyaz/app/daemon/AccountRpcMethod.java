// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import java.util.ArrayList;
import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import org.svyaz.app.ExitCodes;
import org.svyaz.app.methods.AccountMethod;
import org.svyaz.app.rpc.RpcCall;
import org.svyaz.app.rpc.RpcException;
import org.svyaz.app.rpc.RpcMethod;
import org.svyaz.app.rpc.RpcParam;
import org.svyaz.client.api.ClientException;

/** Serves an {@link AccountMethod} over JSON-RPC: finds the account, runs it, turns failures into errors. */
final class AccountRpcMethod implements RpcMethod {
    private final AccountMethod method;
    private final OpenAccounts accounts;

    AccountRpcMethod(AccountMethod method, OpenAccounts accounts) {
        this.method = method;
        this.accounts = accounts;
    }

    @Override
    public String name() {
        return method.name();
    }

    @Override
    public String summary() {
        return method.summary();
    }

    @Override
    public List<RpcParam> params() {
        List<RpcParam> params = new ArrayList<>();
        params.add(accounts.single()
                ? RpcParam.optional("account", RpcParam.Type.STRING, "The account (this daemon serves one).")
                : RpcParam.required("account", RpcParam.Type.STRING, "The account the call is for, like alice.42."));
        params.addAll(method.params());
        return params;
    }

    @Override
    public JsonNode call(RpcCall call) throws Exception {
        try {
            return method.run(accounts.forCall(call), call);
        } catch (ClientException e) {
            throw new RpcException(-ExitCodes.of(e), e.getMessage());
        }
    }
}
