// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.svyaz.server.StorageSettings;
import org.svyaz.server.cluster.RedisSettings;
import org.svyaz.server.store.postgres.PostgresSettings;

/**
 * The server's settings in layers, each above the one before: the built-in defaults, the YAML file
 * ({@link ServerFile}), the {@code SVYAZ_*} environment variables below, and last the command-line
 * flags (applied by {@link ServerCommand}). Environment variables name what differs between
 * deployments and secrets that should not sit in a file:
 *
 * <ul>
 *   <li>{@code SVYAZ_STORAGE} {@code embedded} or {@code postgres}</li>
 *   <li>{@code SVYAZ_POSTGRES_URL}, {@code SVYAZ_POSTGRES_USER}, {@code SVYAZ_POSTGRES_PASSWORD},
 *       {@code SVYAZ_POSTGRES_POOL_SIZE}</li>
 *   <li>{@code SVYAZ_REDIS_URL} (comma-separated seed nodes for a Redis Cluster),
 *       {@code SVYAZ_REDIS_CLUSTER} {@code true}/{@code false}, {@code SVYAZ_REDIS_PREFIX}</li>
 * </ul>
 *
 * <p>Every mistake is a {@link CommandLineException} with one sentence naming the file, line or
 * variable: an operator should never have to read a stack trace to fix a setting.
 */
final class ServerSettings {
    static final String STORAGE = "SVYAZ_STORAGE";
    static final String POSTGRES_URL = "SVYAZ_POSTGRES_URL";
    static final String POSTGRES_USER = "SVYAZ_POSTGRES_USER";
    static final String POSTGRES_PASSWORD = "SVYAZ_POSTGRES_PASSWORD";
    static final String POSTGRES_POOL_SIZE = "SVYAZ_POSTGRES_POOL_SIZE";
    static final String REDIS_URL = "SVYAZ_REDIS_URL";
    static final String REDIS_CLUSTER = "SVYAZ_REDIS_CLUSTER";
    static final String REDIS_PREFIX = "SVYAZ_REDIS_PREFIX";
    static final int DEFAULT_POOL_SIZE = 10;
    private static final String DEFAULT_POSTGRES_USER = "postgres";

    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // "8443" for a number or 1 for true is more likely a slip than intended.
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private final ServerFile file;
    private final Map<String, String> environment;
    private final String source;

    private ServerSettings(ServerFile file, Map<String, String> environment, String source) {
        this.file = file;
        this.environment = environment;
        this.source = source;
    }

    /** Reads {@code configFile} when given; {@code environment} is usually {@code System.getenv()}. */
    static ServerSettings load(Optional<Path> configFile, Map<String, String> environment) throws CommandLineException {
        if (configFile.isEmpty()) {
            return new ServerSettings(ServerFile.EMPTY, environment, "the environment");
        }
        Path path = configFile.get();
        String name = path.toString();
        if (!Files.isRegularFile(path)) {
            throw new CommandLineException("--config: there is no file " + name + ".");
        }
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new CommandLineException("Cannot read " + name + ": " + e.getMessage() + ".");
        }
        try {
            ServerFile read = YAML.readValue(text, ServerFile.class);
            return new ServerSettings(read == null ? ServerFile.EMPTY : read, environment, name);
        } catch (UnrecognizedPropertyException e) {
            throw new CommandLineException(name + line(text, e.getPropertyName(), e.getLocation()) + ": unknown key '"
                    + e.getPropertyName()
                    + "'" + section(e) + ". Known keys: " + known(e) + ".");
        } catch (MismatchedInputException e) {
            String key = e.getPath().isEmpty() ? null : e.getPath().getLast().getFieldName();
            throw new CommandLineException(name + line(text, key, e.getLocation()) + ": '" + path(e) + "' must be "
                    + expected(e.getTargetType()) + ".");
        } catch (JsonProcessingException e) {
            throw new CommandLineException(name + where(e.getLocation()) + " is not valid YAML: "
                    + e.getOriginalMessage().lines().findFirst().orElse("") + ".");
        }
    }

    ServerFile file() {
        return file;
    }

    /** Embedded unless the environment or the file chooses postgres, which then needs a URL. */
    StorageSettings storage() throws CommandLineException {
        String kind = env(STORAGE).orElse(file.storage() == null ? "embedded" : file.storage());
        ServerFile.Postgres section = file.postgres();
        Optional<String> url = env(POSTGRES_URL).or(() -> Optional.ofNullable(section == null ? null : section.url()));
        return switch (kind.toLowerCase()) {
            case "embedded" -> {
                if (url.isPresent()) {
                    throw new CommandLineException("A PostgreSQL URL is set (in " + (env(POSTGRES_URL).isPresent()
                            ? POSTGRES_URL : source) + ") but the storage is 'embedded': set storage: postgres in the "
                            + "file or " + STORAGE + "=postgres, or remove the URL.");
                }
                yield StorageSettings.EMBEDDED;
            }
            case "postgres" -> {
                if (url.isEmpty()) {
                    throw new CommandLineException("The storage is 'postgres' but no database is named: set postgres.url "
                            + "in the file or " + POSTGRES_URL + " (jdbc:postgresql://HOST:PORT/DATABASE).");
                }
                String user = env(POSTGRES_USER).orElse(section == null || section.user() == null
                        ? DEFAULT_POSTGRES_USER : section.user());
                String password = env(POSTGRES_PASSWORD).orElse(section == null || section.password() == null
                        ? "" : section.password());
                int poolSize = poolSize(section);
                try {
                    yield new StorageSettings.Postgres(PostgresSettings.of(url.get(), user, password, poolSize));
                } catch (IllegalArgumentException e) {
                    throw new CommandLineException("PostgreSQL settings: " + e.getMessage() + ".");
                }
            }
            default -> throw new CommandLineException("The storage is 'embedded' or 'postgres', not '" + kind + "' (from "
                    + (env(STORAGE).isPresent() ? STORAGE : source) + ").");
        };
    }

    private int poolSize(ServerFile.Postgres section) throws CommandLineException {
        Optional<String> fromEnv = env(POSTGRES_POOL_SIZE);
        if (fromEnv.isPresent()) {
            try {
                return Integer.parseInt(fromEnv.get());
            } catch (NumberFormatException e) {
                throw new CommandLineException(POSTGRES_POOL_SIZE + " must be a whole number, not '" + fromEnv.get() + "'.");
            }
        }
        return section == null || section.poolSize() == null ? DEFAULT_POOL_SIZE : section.poolSize();
    }

    /** Empty (one node, no Redis) unless the environment or the file names a Redis. */
    Optional<RedisSettings> redis() throws CommandLineException {
        ServerFile.Redis section = file.redis();
        Optional<List<String>> uris = env(REDIS_URL)
                .map(value -> Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList())
                .or(() -> Optional.ofNullable(section == null ? null : section.url()));
        Optional<String> clusterEnv = env(REDIS_CLUSTER);
        if (clusterEnv.isPresent() && !clusterEnv.get().equalsIgnoreCase("true")
                && !clusterEnv.get().equalsIgnoreCase("false")) {
            throw new CommandLineException(REDIS_CLUSTER + " is 'true' or 'false', not '" + clusterEnv.get() + "'.");
        }
        if (uris.isEmpty()) {
            if (clusterEnv.isPresent() || env(REDIS_PREFIX).isPresent() || section != null) {
                throw new CommandLineException("Redis settings are given but no address: set redis.url in the file or "
                        + REDIS_URL + " (redis://HOST:PORT, comma-separated seed nodes for a Redis Cluster).");
            }
            return Optional.empty();
        }
        boolean cluster = clusterEnv.map(Boolean::parseBoolean)
                .orElse(section != null && Boolean.TRUE.equals(section.cluster()));
        String prefix = env(REDIS_PREFIX).orElse(section == null || section.prefix() == null
                ? RedisSettings.DEFAULT_PREFIX : section.prefix());
        try {
            return Optional.of(new RedisSettings(uris.get(), cluster, prefix));
        } catch (IllegalArgumentException e) {
            throw new CommandLineException("Redis settings: " + e.getMessage() + ".");
        }
    }

    private Optional<String> env(String name) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    /**
     * The line where {@code key} is written. The parser's own location lies after the value it read,
     * which for a nested key is already the next line; an operator wants the line to edit.
     */
    private static String line(String text, String key, JsonLocation fallback) {
        if (key != null) {
            Pattern keyLine = Pattern.compile(
                    "^\\s*(- )?" + Pattern.quote(key) + "\\s*:");
            List<String> lines = text.lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (keyLine.matcher(lines.get(i)).find()) {
                    return " line " + (i + 1);
                }
            }
        }
        return where(fallback);
    }

    private static String where(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? "" : " line " + location.getLineNr();
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(reference -> reference.getFieldName() != null ? reference.getFieldName()
                        : "[" + reference.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String section(UnrecognizedPropertyException e) {
        String parent = e.getPath().size() > 1 ? path(e).substring(0, path(e).lastIndexOf('.')) : "";
        return parent.isEmpty() ? "" : " in '" + parent + "'";
    }

    private static String known(UnrecognizedPropertyException e) {
        return e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "of another kind";
        }
        if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "text";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "a section of keys";
    }
}
