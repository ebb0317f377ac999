// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

/**
 * The {@code code} of a JSON-RPC error object.
 *
 * <p>The negative five-digit codes are JSON-RPC 2.0's own. The small ones are the application's and match
 * the CLI's exit codes negated, as signal-cli's do, so a script reads a failed call the way it reads a
 * failed command.
 */
public final class RpcErrorCode {
    /** The text was not JSON. */
    public static final int PARSE_ERROR = -32700;
    /** JSON, but not a JSON-RPC 2.0 request (not an object, no method, wrong "jsonrpc", bad id, bad batch). */
    public static final int INVALID_REQUEST = -32600;
    /** No method of that name. */
    public static final int METHOD_NOT_FOUND = -32601;
    /** A parameter is missing or has the wrong type; the message names it. */
    public static final int INVALID_PARAMS = -32602;
    /** The method failed in a way it did not describe; the message never says more. */
    public static final int INTERNAL_ERROR = -32603;

    /** The caller asked for something impossible (exit code 1). */
    public static final int USER_ERROR = -1;
    /** Something unexpected failed locally (exit code 2). */
    public static final int UNEXPECTED = -2;
    /** The server refused or could not be reached (exit code 3). */
    public static final int SERVER_OR_NETWORK = -3;
    /** A contact's identity key changed and is not trusted yet (exit code 4). */
    public static final int UNTRUSTED_IDENTITY = -4;
    /** The server asked us to slow down (exit code 5). */
    public static final int RATE_LIMITED = -5;

    private RpcErrorCode() {}
}
