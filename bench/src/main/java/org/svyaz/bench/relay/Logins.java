// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import org.svyaz.bench.BenchException;

/** Logging many users of a {@link MessagingSystem} in and out, a bounded number at a time. */
public final class Logins {
    /** A user's own login (TLS, authentication, delivery live) may take this long under load. */
    static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(60);

    private Logins() {}

    /**
     * Logs users {@code first} to {@code first + count - 1} in, {@code parallel} at a time; the
     * returned list's element i belongs to user {@code first + i}, whose messages go to
     * {@code inboxes.apply(first + i)}. On any failure every session made so far is closed.
     */
    public static List<UserSession> logIn(MessagingSystem system, int first, int count, IntFunction<Inbox> inboxes,
                                          int parallel) throws BenchException {
        // Virtual threads and a semaphore, so a storm of thousands of logins at once costs no thread each.
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        Semaphore turns = new Semaphore(parallel);
        List<Future<UserSession>> pending = new ArrayList<>(count);
        List<UserSession> sessions = new ArrayList<>(count);
        try {
            for (int user = first; user < first + count; user++) {
                int index = user;
                pending.add(pool.submit(() -> {
                    turns.acquire();
                    try {
                        return system.logIn(index, inboxes.apply(index));
                    } finally {
                        turns.release();
                    }
                }));
            }
            // Logins queue behind each other, so each waits for its turn plus its own timeout.
            long deadline = System.nanoTime() + LOGIN_TIMEOUT.toNanos() * (1 + count / parallel);
            for (Future<UserSession> session : pending) {
                sessions.add(session.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return sessions;
        } catch (ExecutionException e) {
            logOut(sessions);
            if (e.getCause() instanceof BenchException failure) {
                throw failure;
            }
            throw new BenchException("A user could not log in: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            logOut(sessions);
            throw new BenchException("Logging " + count + " users in took too long (over "
                    + LOGIN_TIMEOUT.toSeconds() + " s for one login).", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            logOut(sessions);
            throw new BenchException("Interrupted while logging users in.", e);
        } finally {
            pool.shutdownNow();
            // Sessions still being made when a login failed are closed as they come in.
            pending.forEach(session -> {
                if (session.state() == Future.State.SUCCESS && !sessions.contains(session.resultNow())) {
                    session.resultNow().close();
                }
            });
        }
    }

    /** Closes every session, in parallel; each close bounds its own wait. */
    public static void logOut(List<? extends UserSession> sessions) {
        List<Thread> closers = new ArrayList<>(sessions.size());
        for (UserSession session : sessions) {
            closers.add(Thread.ofVirtual().name("bench-logout").start(session::close));
        }
        for (Thread closer : closers) {
            try {
                closer.join(Duration.ofSeconds(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
