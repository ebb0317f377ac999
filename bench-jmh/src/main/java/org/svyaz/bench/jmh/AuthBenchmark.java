// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.jmh;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.svyaz.protocol.DeviceCredentials;
import org.svyaz.server.account.AccountService;
import org.svyaz.server.account.Credentials;
import org.svyaz.server.account.RegistrationPolicy;
import org.svyaz.server.api.Caller;
import org.svyaz.server.keys.KeyService;
import org.svyaz.server.limits.LocalRateLimiter;
import org.svyaz.server.store.Account;
import org.svyaz.server.store.CreateAccountResult;
import org.svyaz.server.store.Device;
import org.svyaz.server.store.StoreException;
import org.svyaz.server.store.sqlite.EmbeddedStorage;

/**
 * The credential check of every authenticated WebSocket upgrade (and attachment request): the
 * server's own authenticator, AccountService.authenticate(String), which parses the Authorization
 * header (DeviceCredentials), reads the device from the store and compares salted SHA-256 hashes. The accounts are stored as registration stores them, in a real SQLite file.
 * The wrong-password and unknown-account cases should cost about the same as the right one: the
 * server spends the same hashing on them so timing does not tell them apart.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AuthBenchmark {
    @Param("1000")
    public int accounts;

    Path directory;
    EmbeddedStorage storage;
    AccountService accountService;
    /** Per account: the header its device sends, one with a wrong password, and one naming no account. */
    String[] rightHeaders;
    String[] wrongPasswordHeaders;
    String[] unknownAccountHeaders;
    UUID[] accountIds;

    private final AtomicInteger next = new AtomicInteger();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        SplittableRandom random = new SplittableRandom(13);
        directory = Fixtures.tempDirectory("svyaz-jmh-auth-");
        storage = EmbeddedStorage.open(directory);
        // Authentication is measured here; the limiters are never asked.
        LocalRateLimiter unused = new LocalRateLimiter(1, 1.0, Clock.systemUTC());
        accountService = new AccountService(storage.accounts(), new KeyService(storage.accounts(), storage.keys(),
                unused), RegistrationPolicy.OPEN, unused, Clock.systemUTC());
        rightHeaders = new String[accounts];
        wrongPasswordHeaders = new String[accounts];
        unknownAccountHeaders = new String[accounts];
        accountIds = new UUID[accounts];
        long now = System.currentTimeMillis();
        // Created concurrently so the store's writer commits many registrations per fsync.
        List<Future<CreateAccountResult>> created = new ArrayList<>(accounts);
        try (ExecutorService registrations = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < accounts; i++) {
                UUID accountId = Fixtures.randomUuid(random);
                byte[] password = Fixtures.randomBytes(random, Credentials.PASSWORD_BYTES);
                byte[] wrongPassword = Fixtures.randomBytes(random, Credentials.PASSWORD_BYTES);
                byte[] usernameHash = Fixtures.randomBytes(random, 32);
                accountIds[i] = accountId;
                rightHeaders[i] = new DeviceCredentials(accountId, AccountService.PRIMARY_DEVICE_ID, password)
                        .toAuthorizationHeader();
                wrongPasswordHeaders[i] = new DeviceCredentials(accountId, AccountService.PRIMARY_DEVICE_ID, wrongPassword)
                        .toAuthorizationHeader();
                unknownAccountHeaders[i] = new DeviceCredentials(Fixtures.randomUuid(random),
                        AccountService.PRIMARY_DEVICE_ID, password).toAuthorizationHeader();
                // As AccountService.register stores a new account: a salted hash, never the password.
                byte[] salt = Credentials.newSalt();
                Device device = new Device(AccountService.PRIMARY_DEVICE_ID, 1 + random.nextInt(16380), salt,
                        Credentials.hash(salt, password), now);
                Account account = new Account(accountId, IdentityKeyPair.generate().getPublicKey().serialize(), now);
                created.add(registrations.submit(() -> storage.accounts().create(account, device,
                        List.of(usernameHash), null, now)));
            }
            for (Future<CreateAccountResult> result : created) {
                if (!(result.get() instanceof CreateAccountResult.Created)) {
                    throw new IllegalStateException("set-up could not create an account: " + result.get());
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (storage != null) {
            storage.close();
        }
        Fixtures.deleteRecursively(directory);
    }

    @Benchmark
    public Optional<Caller> rightPassword() throws StoreException {
        return authenticate(rightHeaders[nextIndex()]);
    }

    @Benchmark
    public Optional<Caller> wrongPassword() throws StoreException {
        return authenticate(wrongPasswordHeaders[nextIndex()]);
    }

    @Benchmark
    public Optional<Caller> unknownAccount() throws StoreException {
        return authenticate(unknownAccountHeaders[nextIndex()]);
    }

    /** What the server's transport calls with a connection's Authorization header. */
    Optional<Caller> authenticate(String header) throws StoreException {
        return accountService.authenticate(header);
    }

    private int nextIndex() {
        return Math.floorMod(next.getAndIncrement(), accounts);
    }
}
