// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own ({@code initdb} and {@code pg_ctl} from the installed
 * packages, run as the {@code postgres} user) on a free loopback port, so a test can crash and
 * restart it. The machine's PostgreSQL on 5432 is shared with other test runs and must never be
 * stopped. Trust authentication on loopback only; the cluster directory is deleted on close.
 */
final class PostgresProcess implements AutoCloseable {
    private static final String USER = "postgres";
    private final Path directory;
    private final Path bin;
    private final int port;

    private PostgresProcess(Path directory, Path bin, int port) {
        this.directory = directory;
        this.bin = bin;
        this.port = port;
    }

    /** Creates and starts a new cluster with one empty database {@code svyaz}. */
    static PostgresProcess start() throws Exception {
        Path bin = binaries();
        Path directory = Files.createTempDirectory("svyaz-pg-");
        PostgresProcess postgres = new PostgresProcess(directory, bin, ServerProcess.freePort());
        try {
            run("chown", "-R", USER + ":", directory.toString()); // initdb refuses to run as root
            postgres.asPostgres("initdb", "-D", postgres.data().toString(), "-A", "trust", "-U", USER, "--no-sync");
            postgres.startServer();
            try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl("postgres"), USER, "");
                 Statement statement = admin.createStatement()) {
                statement.execute("CREATE DATABASE svyaz");
            }
            return postgres;
        } catch (Exception | Error e) {
            postgres.close();
            throw e;
        }
    }

    String jdbcUrl() {
        return jdbcUrl("svyaz");
    }

    private String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    String user() {
        return USER;
    }

    /** Like a crash: no checkpoint, clients cut off; the next start replays the WAL. */
    void crash() throws Exception {
        asPostgres("pg_ctl", "-D", data().toString(), "-m", "immediate", "-w", "stop");
    }

    void startServer() throws Exception {
        asPostgres("pg_ctl", "-D", data().toString(), "-l", directory.resolve("postgres.log").toString(), "-w",
                "-t", "60", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + directory + " -c fsync=off",
                "start");
    }

    @Override
    public void close() throws Exception {
        try {
            if (Files.exists(data().resolve("postmaster.pid"))) {
                asPostgres("pg_ctl", "-D", data().toString(), "-m", "immediate", "-w", "stop");
            }
        } finally {
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            }
        }
    }

    private Path data() {
        return directory.resolve("data");
    }

    private void asPostgres(String program, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("runuser", "-u", USER, "--", bin.resolve(program).toString()));
        command.addAll(List.of(args));
        run(command.toArray(String[]::new));
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
    }

    private static Path binaries() throws IOException {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(version -> version.resolve("bin"))
                    .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
                    .max(Comparator.naturalOrder())
                    .orElseThrow(() -> new IllegalStateException("no initdb under /usr/lib/postgresql; .ci/run installs "
                            + "PostgreSQL"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalStateException("PostgreSQL is not installed (/usr/lib/postgresql); .ci/run installs it", e);
        }
    }
}
