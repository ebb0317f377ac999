// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.identity;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Held while a server loads or creates its keys. The nodes of a cluster share one data directory,
 * and so one identity: the TLS key pinned in invite links, the Ed25519 descriptor key and the
 * sealed-sender certificate keys. When several nodes start at once on an empty directory, exactly one
 * of them creates the keys and the others wait and then read them; without the lock each would
 * write keys of its own over the others', and clients pinning one node would reject the next.
 *
 * <p>{@code DATA/keys.lock} is locked with the operating system's advisory lock (between processes,
 * and through NFS with lockd). The operating system grants that lock to a whole JVM, so threads of one
 * JVM (tests that run several nodes in one process) are kept apart by a lock of this class's own too.
 */
public final class KeyCreationLock implements AutoCloseable {
    public static final String FILE = "keys.lock";
    private static final ReentrantLock IN_THIS_JVM = new ReentrantLock();

    private final FileChannel channel;
    private final FileLock lock;

    private KeyCreationLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Waits until no other process or thread holds the lock on {@code dataDir}, then holds it. */
    public static KeyCreationLock acquire(Path dataDir) throws IOException {
        IN_THIS_JVM.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(dataDir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new KeyCreationLock(channel, channel.lock());
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            IN_THIS_JVM.unlock();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
            channel.close();
        } finally {
            IN_THIS_JVM.unlock();
        }
    }
}
