// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.svyaz.app.methods.MethodCatalog;
import org.svyaz.app.rpc.Daemon;
import org.svyaz.app.rpc.DaemonConfig;
import org.svyaz.app.rpc.DaemonStartException;
import org.svyaz.app.rpc.MethodTable;
import org.svyaz.app.rpc.ReceiveHub;
import org.svyaz.app.rpc.ReceiveMode;
import org.svyaz.app.rpc.RpcMethod;
import org.svyaz.client.SvyazClient;

/**
 * One running daemon: the open accounts, the methods it serves on them, the receive pump and the
 * listeners. {@code svyaz daemon} and {@code svyaz jsonRpc} both run one.
 */
public final class DaemonRuntime implements AutoCloseable {
    private final OpenAccounts accounts;
    private final ReceivePump pump;
    private final ReceiveHub hub;
    private final Daemon daemon;

    private DaemonRuntime(OpenAccounts accounts, DaemonConfig config, ReceiveMode mode, String version,
                          PrintStream announce) throws DaemonStartException {
        this.accounts = accounts;
        this.hub = new ReceiveHub(mode, this::startReceiving);
        this.pump = new ReceivePump(accounts.all(), hub::hasAudience, (client, received) -> hub.publish(received));
        accounts.all().forEach(this::reportTransfers);
        Consumer<SvyazClient> joined = client -> {
            reportTransfers(client);
            pump.add(client);
        };
        this.daemon = Daemon.start(config.withAppFiles(new AccountFiles(accounts)),
                new MethodTable(methods(accounts, version, joined, this::openApp), hub), hub, announce);
        if (daemon.commandSocketPath().isPresent()) {
            try {
                accounts.markSocket(daemon.commandSocketPath().get());
            } catch (IOException e) {
                // The daemon works; only svyaz commands will not find it and open the account themselves.
                announce.println("Warning: cannot note the socket in the account folder (" + e.getMessage()
                        + "); svyaz commands will not go through this daemon.");
            }
        }
    }

    /** Serves {@code accounts} (closed with the runtime) as {@code config} says. */
    public static DaemonRuntime start(OpenAccounts accounts, DaemonConfig config, ReceiveMode mode, String version,
                                      PrintStream announce) throws DaemonStartException {
        try {
            return new DaemonRuntime(accounts, config, mode, version, announce);
        } catch (DaemonStartException | RuntimeException e) {
            accounts.close();
            throw e;
        }
    }

    /** Every method the daemon serves, besides the engine's own (rpc.discover, subscriptions). */
    static List<RpcMethod> methods(OpenAccounts accounts, String version, Consumer<SvyazClient> joined,
                                   AppOpener app) {
        List<RpcMethod> methods = new ArrayList<>(DaemonMethods.all(accounts, version, joined, app));
        MethodCatalog.all().forEach(method -> methods.add(new AccountRpcMethod(method, accounts)));
        return methods;
    }

    /** Opens the web app (see {@link Daemon#openApp}); how {@code svyaz app} attaches to a running daemon. */
    @FunctionalInterface
    interface AppOpener {
        String open() throws DaemonStartException;
    }

    /** The account's file transfers go to the web app's event stream (the daemon has no terminal to draw on). */
    private void reportTransfers(SvyazClient client) {
        client.onTransferProgress(new TransferEvents(client.username(), hub));
    }

    private String openApp() throws DaemonStartException {
        return daemon.openApp();
    }

    private void startReceiving() {
        pump.start();
    }

    /** The bound HTTP address, when serving HTTP (the real port when 0 was asked for). */
    public Optional<InetSocketAddress> httpAddress() {
        return daemon.httpAddress();
    }

    /** Serves JSON-RPC on standard input and output until input ends ({@code svyaz jsonRpc}). */
    public void serveStdio(InputStream in, OutputStream out) {
        daemon.serveStdio(in, out);
    }

    @Override
    public void close() {
        daemon.close();
        pump.close();
        accounts.close();
    }
}
