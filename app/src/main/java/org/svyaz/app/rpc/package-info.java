// SPDX-License-Identifier: AGPL-3.0-only
/**
 * The JSON-RPC 2.0 engine behind {@code svyaz daemon} and {@code svyaz jsonRpc}, speaking signal-cli's
 * interface (its {@code signal-cli-jsonrpc(5)}): the methods themselves live elsewhere and implement
 * {@link org.svyaz.app.rpc.RpcMethod}.
 *
 * <p>One request, followed from the socket:
 * {@link org.svyaz.app.rpc.SocketListener} accepts a UNIX ({@link org.svyaz.app.rpc.UnixSocketFile}) or
 * TCP connection → {@link org.svyaz.app.rpc.LinePeer} reads a line ({@link org.svyaz.app.rpc.LineReader},
 * length cap) and starts a virtual thread → {@link org.svyaz.app.rpc.RpcDispatcher} parses and validates
 * it and finds the method in {@link org.svyaz.app.rpc.MethodTable} → the method reads its parameters
 * through {@link org.svyaz.app.rpc.RpcCall} → the reply is queued in the connection's
 * {@link org.svyaz.app.rpc.Outbox}, whose one writer thread sends it. Over HTTP,
 * {@link org.svyaz.app.rpc.HttpTransport} → {@link org.svyaz.app.rpc.HttpGuard} (Host, Origin, token) →
 * {@link org.svyaz.app.rpc.RpcHttpHandler} → the same dispatcher.
 *
 * <p>Incoming messages go the other way: {@link org.svyaz.app.rpc.ReceiveHub#publish} → every
 * connection's outbox (automatic modes) or subscription, and the {@link org.svyaz.app.rpc.EventLog} that
 * {@link org.svyaz.app.rpc.EventStreamHandler} streams as Server-Sent Events.
 *
 * <p>{@link org.svyaz.app.rpc.Daemon} starts any combination of listeners from a
 * {@link org.svyaz.app.rpc.DaemonConfig}. Logs name connections by transport and counter, never by
 * address, and never carry parameters, message bodies or usernames.
 */
package org.svyaz.app.rpc;
