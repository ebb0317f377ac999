// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.svyaz.server.ServerConfig;
import org.svyaz.server.StorageSettings;
import org.svyaz.server.cluster.RedisSettings;
import org.svyaz.server.transport.TransportLimits;
import picocli.CommandLine;

/** The server's layered settings: defaults, YAML file, SVYAZ_* environment, flags; and every mistake as one sentence. */
class ServerSettingsTest {
    @TempDir
    Path directory;

    @Test
    void withoutFileOrEnvironmentTheServerIsOneNodeOnTheEmbeddedStore() throws Exception {
        ServerConfig config = config(Map.of());

        assertThat(config.storage()).isEqualTo(StorageSettings.EMBEDDED);
        assertThat(config.redis()).isEmpty();
        assertThat(config.listen()).isEqualTo(new InetSocketAddress("0.0.0.0", 8443));
        assertThat(config.sendBurst()).isEqualTo(200);
    }

    @Test
    void strangersShareOfTheMailboxIsHalfUnlessGivenAndNeverMoreThanTheMailbox() throws Exception {
        assertThat(config(Map.of(), "--mailbox-max", "9").messages().maxStrangerEntries()).isEqualTo(4);
        Path file = yaml("""
                mailbox-max: 10
                mailbox-strangers-max: 8
                """);
        assertThat(config(Map.of(), "--config", file.toString()).messages().maxStrangerEntries()).isEqualTo(8);
        assertThat(config(Map.of(), "--config", file.toString(), "--mailbox-strangers-max", "2").messages()
                .maxStrangerEntries()).isEqualTo(2);

        assertThatThrownBy(() -> config(Map.of(), "--mailbox-max", "9", "--mailbox-strangers-max", "10"))
                .hasMessage("--mailbox-strangers-max must be between 1 and --mailbox-max.");
    }

    @Test
    void theFileChoosesPostgresAndRedisAndTheOptionsItNames() throws Exception {
        Path file = yaml("""
                data: %s
                listen: 127.0.0.1:9000
                admin: "off"
                advertise: chat.example.org:443
                send-burst: 7
                sends-per-second: 2.5
                storage: postgres
                postgres:
                  url: jdbc:postgresql://127.0.0.1:5432/svyaz
                  user: svyaz
                  password: secret
                  pool-size: 4
                redis:
                  url: [redis://127.0.0.1:7000, redis://127.0.0.1:7001]
                  cluster: true
                  prefix: "one:"
                """.formatted(directory.resolve("data")));

        ServerConfig config = config(Map.of(), "--config", file.toString());

        assertThat(config.dataDir()).isEqualTo(directory.resolve("data"));
        assertThat(config.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 9000));
        assertThat(config.admin()).isEmpty();
        assertThat(config.advertised()).singleElement().satisfies(e -> assertThat(e.getHost()).isEqualTo("chat.example.org"));
        assertThat(config.sendBurst()).isEqualTo(7);
        assertThat(config.sendsPerSecond()).isEqualTo(2.5);
        StorageSettings.Postgres postgres = (StorageSettings.Postgres) config.storage();
        assertThat(postgres.settings().jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/svyaz");
        assertThat(postgres.settings().user()).isEqualTo("svyaz");
        assertThat(postgres.settings().password()).isEqualTo("secret");
        assertThat(postgres.settings().poolSize()).isEqualTo(4);
        assertThat(config.redis()).contains(new RedisSettings(
                List.of("redis://127.0.0.1:7000", "redis://127.0.0.1:7001"), true, "one:"));
    }

    @Test
    void theEnvironmentWinsOverTheFileAndFlagsWinOverBoth() throws Exception {
        Path file = yaml("""
                listen: 127.0.0.1:9000
                send-burst: 7
                storage: embedded
                redis:
                  url: redis://127.0.0.1:7000
                """);
        Map<String, String> environment = Map.of(
                "SVYAZ_STORAGE", "postgres",
                "SVYAZ_POSTGRES_URL", "jdbc:postgresql://db:5432/svyaz",
                "SVYAZ_POSTGRES_PASSWORD", "from-env",
                "SVYAZ_REDIS_URL", "redis://a:1, redis://b:2",
                "SVYAZ_REDIS_CLUSTER", "true",
                "SVYAZ_REDIS_PREFIX", "env:");

        ServerConfig config = config(environment, "--config", file.toString(), "--send-burst", "9");

        assertThat(config.listen().getPort()).isEqualTo(9000); // from the file
        assertThat(config.sendBurst()).isEqualTo(9); // the flag
        StorageSettings.Postgres postgres = (StorageSettings.Postgres) config.storage();
        assertThat(postgres.settings().jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/svyaz");
        assertThat(postgres.settings().user()).isEqualTo("postgres");
        assertThat(postgres.settings().password()).isEqualTo("from-env");
        assertThat(postgres.settings().poolSize()).isEqualTo(ServerSettings.DEFAULT_POOL_SIZE);
        assertThat(config.redis()).contains(new RedisSettings(List.of("redis://a:1", "redis://b:2"), true, "env:"));
    }

    @Test
    void anUnknownKeyIsNamedWithItsLine() throws Exception {
        Path file = yaml("""
                listen: 127.0.0.1:9000
                postgres:
                  url: jdbc:postgresql://127.0.0.1/svyaz
                  pasword: typo
                """);

        assertThatThrownBy(() -> config(Map.of(), "--config", file.toString()))
                .isInstanceOf(CommandLineException.class)
                .hasMessageContaining("line 4")
                .hasMessageContaining("unknown key 'pasword' in 'postgres'")
                .hasMessageContaining("password");
    }

    @Test
    void aValueOfTheWrongTypeIsNamed() throws Exception {
        Path file = yaml("send-burst: lots\n");

        assertThatThrownBy(() -> config(Map.of(), "--config", file.toString()))
                .isInstanceOf(CommandLineException.class)
                .hasMessage(file + " line 1: 'send-burst' must be a whole number.");
    }

    @Test
    void postgresWithoutAUrlIsRefused() throws Exception {
        assertThatThrownBy(() -> config(Map.of("SVYAZ_STORAGE", "postgres")))
                .isInstanceOf(CommandLineException.class)
                .hasMessageContaining("no database is named")
                .hasMessageContaining("SVYAZ_POSTGRES_URL");
    }

    @Test
    void connectionCapsComeFromTheFileOrTheFlags() throws Exception {
        assertThat(config(Map.of()).transport().maxConnectionsPerAddress())
                .isEqualTo(TransportLimits.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
        Path file = yaml("max-connections: 300\nmax-connections-per-address: 40\n");
        ServerConfig config = config(Map.of(), "--config", file.toString(), "--max-connections-per-address", "60");
        assertThat(config.transport().maxConnections()).isEqualTo(300);
        assertThat(config.transport().maxConnectionsPerAddress()).isEqualTo(60);
        assertThat(config.transport().maxAnonymousPerAddress()).as("half the address's share").isEqualTo(30);
        assertThatThrownBy(() -> config(Map.of(), "--max-connections", "0"))
                .hasMessageContaining("--max-connections and --max-connections-per-address must be at least 1");
    }

    @Test
    void otherMistakesAreOneSentenceEach() throws Exception {
        assertThatThrownBy(() -> config(Map.of("SVYAZ_STORAGE", "mysql")))
                .hasMessageContaining("'embedded' or 'postgres', not 'mysql'");
        assertThatThrownBy(() -> config(Map.of("SVYAZ_POSTGRES_URL", "jdbc:postgresql://db/svyaz")))
                .hasMessageContaining("the storage is 'embedded'");
        assertThatThrownBy(() -> config(Map.of("SVYAZ_STORAGE", "postgres", "SVYAZ_POSTGRES_URL", "postgres://db/x")))
                .hasMessageContaining("jdbc:postgresql:");
        assertThatThrownBy(() -> config(Map.of("SVYAZ_REDIS_URL", "redis://a:1,redis://b:2")))
                .hasMessageContaining("standalone Redis has one address");
        assertThatThrownBy(() -> config(Map.of("SVYAZ_REDIS_URL", "localhost:6379")))
                .hasMessageContaining("redis://HOST:PORT");
        assertThatThrownBy(() -> config(Map.of("SVYAZ_REDIS_CLUSTER", "yes", "SVYAZ_REDIS_URL", "redis://a:1")))
                .hasMessageContaining("'true' or 'false'");
        assertThatThrownBy(() -> config(Map.of("SVYAZ_REDIS_PREFIX", "x:")))
                .hasMessageContaining("no address");
        assertThatThrownBy(() -> config(Map.of(), "--config", directory.resolve("missing.yaml").toString()))
                .hasMessageContaining("there is no file");
        Path broken = yaml("listen: a: b\n");
        assertThatThrownBy(() -> config(Map.of(), "--config", broken.toString()))
                .isInstanceOf(CommandLineException.class)
                .hasMessageContaining("is not valid YAML");
    }

    @Test
    void theCommandExitsOneOnABadFileAndThreeWhenTheDatabaseDoesNotAnswer() throws Exception {
        Path bad = yaml("colour: blue\n");
        assertThat(Main.run("server", "--config", bad.toString())).isEqualTo(ExitCodes.USER_ERROR);

        int closedPort;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Path unreachable = yaml("""
                data: %s
                listen: 127.0.0.1:0
                admin: "off"
                storage: postgres
                postgres:
                  url: jdbc:postgresql://127.0.0.1:%d/svyaz
                """.formatted(directory.resolve("data"), closedPort));
        assertThat(Main.run("server", "--config", unreachable.toString())).isEqualTo(ExitCodes.SERVER_OR_NETWORK);
    }

    private ServerConfig config(Map<String, String> environment, String... args) throws Exception {
        ServerCommand command = new ServerCommand();
        CommandLine commandLine = new CommandLine(command);
        commandLine.parseArgs(args);
        return command.config(ServerSettings.load(Optional.ofNullable(command.configFile), environment));
    }

    private Path yaml(String content) throws IOException {
        Path file = Files.createTempFile(directory, "server", ".yaml");
        Files.writeString(file, content);
        return file;
    }
}
