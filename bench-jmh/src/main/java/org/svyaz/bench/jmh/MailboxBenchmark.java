// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.jmh;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.svyaz.server.store.MailboxEntry;
import org.svyaz.server.store.MailboxStore;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * The embedded store's mailbox as the server uses it: MessageService inserts one envelope per
 * recipient device, DeviceDelivery fetches a page of a device's waiting envelopes and deletes each
 * one the device acknowledges.
 *
 * <p>A real SQLite file in a temporary directory (java.io.tmpdir; point it at the disk you care
 * about with {@code -jvmArgsAppend -Djava.io.tmpdir=...}), with the server's settings: WAL,
 * synchronous=FULL, secure_delete, one writer thread. Many devices with waiting messages, so no
 * single row or page is hot. With one benchmark thread every write is its own transaction and
 * fsync; run with {@code -t N} to see the writer's group commit share fsyncs between callers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MailboxBenchmark {
    /** DeviceDelivery's page size. */
    static final int PAGE = 100;
    /** Entries per write when filling the store in set-up: one transaction each, so few fsyncs. */
    private static final int FILL_CHUNK = 2_000;
    /** Acknowledgeable entries waiting at the start of every iteration of deleteAcknowledged. */
    static final int ACK_POOL = 20_000;

    @Param("1000")
    public int devices;

    /** Envelopes waiting per device; 100 fills exactly one page. */
    @Param("100")
    public int waitingPerDevice;

    @Param("256")
    public int ciphertextBytes;

    Path directory;
    EmbeddedStorage storage;
    MailboxStore mailbox;
    /** The accounts whose device 1 has {@link #waitingPerDevice} envelopes waiting; insert and fetch use these. */
    UUID[] accounts;
    /**
     * Separate accounts holding the entries deleteAcknowledged removes, so topping them up never
     * changes the pages fetchPage reads.
     */
    UUID[] ackAccounts;
    byte[] envelope;

    private long runPrefix;
    private final AtomicLong nextGuid = new AtomicLong();
    private final AtomicInteger nextDevice = new AtomicInteger();
    final ConcurrentLinkedQueue<MailboxEntry> acknowledgeable = new ConcurrentLinkedQueue<>();

    @Setup(Level.Trial)
    public void setUp() throws StoreException {
        SplittableRandom random = new SplittableRandom(11);
        runPrefix = random.nextLong();
        envelope = Fixtures.envelope(random, ciphertextBytes);
        accounts = new UUID[devices];
        ackAccounts = new UUID[devices];
        for (int i = 0; i < devices; i++) {
            accounts[i] = Fixtures.randomUuid(random);
            ackAccounts[i] = Fixtures.randomUuid(random);
        }
        directory = Fixtures.tempDirectory("svyaz-jmh-mailbox-");
        storage = EmbeddedStorage.open(directory);
        mailbox = storage.mailbox();
        // Round by round, so each device's envelopes are spread over the table as real traffic leaves them.
        List<MailboxEntry> chunk = new ArrayList<>(FILL_CHUNK);
        for (int round = 0; round < waitingPerDevice; round++) {
            for (UUID account : accounts) {
                chunk.add(newEntry(account));
                if (chunk.size() == FILL_CHUNK) {
                    mailbox.insert(chunk);
                    chunk = new ArrayList<>(FILL_CHUNK);
                }
            }
        }
        if (!chunk.isEmpty()) {
            mailbox.insert(chunk);
        }
    }

    /** Tops up the entries deleteAcknowledged removes; set-up time is not measured. */
    @Setup(Level.Iteration)
    public void topUpAcknowledgeable() throws StoreException {
        while (acknowledgeable.size() < ACK_POOL) {
            addAcknowledgeable(Math.min(FILL_CHUNK, ACK_POOL - acknowledgeable.size()));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (storage != null) {
            storage.close();
        }
        Fixtures.deleteRecursively(directory);
    }

    /** MessageService's insert for a one-device recipient: one entry, one durable write. */
    @Benchmark
    public MailboxEntry insertOne() throws StoreException {
        MailboxEntry entry = newEntry(accounts[nextDeviceIndex()]);
        mailbox.insert(List.of(entry));
        return entry;
    }

    /** DeviceDelivery's read: the first page of a device's waiting envelopes. */
    @Benchmark
    public List<MailboxEntry> fetchPage() throws StoreException {
        return mailbox.fetch(accounts[nextDeviceIndex()], 1, 0, PAGE);
    }

    /**
     * DeviceDelivery's acknowledgement: delete one delivered entry. Should an iteration use up the
     * pool (a very fast disk), it is refilled here in one batch, which then counts in the average.
     */
    @Benchmark
    public boolean deleteAcknowledged() throws StoreException {
        MailboxEntry entry = acknowledgeable.poll();
        if (entry == null) {
            addAcknowledgeable(FILL_CHUNK);
            entry = acknowledgeable.poll();
        }
        return mailbox.delete(entry.accountId(), entry.deviceId(), entry.guid());
    }

    MailboxEntry newEntry(UUID account) {
        return new MailboxEntry(0, account, 1, Fixtures.guid(runPrefix, nextGuid.getAndIncrement()), envelope,
                System.currentTimeMillis());
    }

    private void addAcknowledgeable(int count) throws StoreException {
        List<MailboxEntry> chunk = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            chunk.add(newEntry(ackAccounts[nextDeviceIndex()]));
        }
        mailbox.insert(chunk);
        acknowledgeable.addAll(chunk);
    }

    private int nextDeviceIndex() {
        return Math.floorMod(nextDevice.getAndIncrement(), devices);
    }
}
