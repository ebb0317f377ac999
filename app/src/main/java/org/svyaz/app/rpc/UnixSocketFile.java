// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.rpc;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The daemon's UNIX socket file: only its owner may connect, and at most one daemon serves a path.
 *
 * <p>Access rests on file modes, and a socket file is created with the process umask. So the socket is
 * bound inside a fresh 0700 staging folder, set to 0600 there, and only then renamed to its path: nobody
 * else can reach it before its mode is final, whatever the folder it ends up in. A missing folder is
 * created 0700. An existing socket file is first probed: one that accepts a connection belongs to a
 * running daemon and is left alone; one that refuses is stale and the rename replaces it.
 */
final class UnixSocketFile {
    private static final Set<PosixFilePermission> OWNER_ONLY_FOLDER = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_SOCKET = PosixFilePermissions.fromString("rw-------");

    private UnixSocketFile() {}

    /** Binds a server channel at {@code path}, ready to accept. */
    static ServerSocketChannel bind(Path path) throws DaemonStartException, IOException {
        Path socket = path.toAbsolutePath();
        Path folder = socket.getParent();
        if (!Files.isDirectory(folder)) {
            Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FOLDER));
            // The attribute is filtered by the umask; say it once more without it.
            Files.setPosixFilePermissions(folder, OWNER_ONLY_FOLDER);
        }
        refuseIfTaken(socket);
        Path staging = Files.createTempDirectory(folder, ".svyaz-", PosixFilePermissions.asFileAttribute(OWNER_ONLY_FOLDER));
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            Path staged = staging.resolve("s");
            server.bind(UnixDomainSocketAddress.of(staged));
            Files.setPosixFilePermissions(staged, OWNER_ONLY_SOCKET);
            Files.move(staged, socket, StandardCopyOption.ATOMIC_MOVE);
            return server;
        } catch (IOException e) {
            server.close();
            throw e;
        } finally {
            Files.deleteIfExists(staging.resolve("s"));
            Files.delete(staging);
        }
    }

    /** Removes the socket file; a daemon that closes must not leave a stale one behind. */
    static void remove(Path path) {
        try {
            Files.deleteIfExists(path.toAbsolutePath());
        } catch (IOException e) {
            // Harmless: the next daemon finds it stale and replaces it.
        }
    }

    private static void refuseIfTaken(Path socket) throws DaemonStartException, IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
            throw new DaemonStartException(socket + " exists and is not a socket; remove it or choose another path");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            throw new DaemonStartException("a daemon already runs on " + socket);
        } catch (IOException e) {
            // Nobody listens: a daemon died without removing it. The rename in bind() replaces it.
        }
    }
}
