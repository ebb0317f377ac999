// SPDX-License-Identifier: AGPL-3.0-only
/**
 * JMH micro-benchmarks of the server's hot paths, run through the server's own classes: WebSocket
 * framing ({@link org.svyaz.bench.jmh.FrameBenchmark}), the embedded store's mailbox
 * ({@link org.svyaz.bench.jmh.MailboxBenchmark}) and the per-connection credential check
 * ({@link org.svyaz.bench.jmh.AuthBenchmark}).
 *
 * <p>Run them with {@code bench/jmh.sh [JMH options] [regex]}, e.g.
 * {@code bench/jmh.sh -f 1 -wi 2 -i 3 -w 1s -r 2s} for the whole suite in about two minutes, or
 * {@code bench/jmh.sh Mailbox -t 8 -bm thrpt -tu s} to see the store's group commit at work.
 * JmhBenchmarksTest checks that every benchmark does its real work; it never runs JMH.
 */
package org.svyaz.bench.jmh;
