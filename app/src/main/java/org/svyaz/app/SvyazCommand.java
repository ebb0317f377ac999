// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.svyaz.client.SvyazClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The root command: global options shared by every client subcommand. */
@Command(name = "svyaz", mixinStandardHelpOptions = true, version = SvyazCommand.VERSION,
        description = "Svyaz: a private messenger that a censor can neither read nor easily switch off.",
        subcommands = {ServerCommand.class, RelayCommand.class, RegisterCommand.class, SendCommand.class,
                ReceiveCommand.class, SendReceiptCommand.class, SendTypingCommand.class, SendReactionCommand.class,
                RemoteDeleteCommand.class, ListContactsCommand.class, ListIdentitiesCommand.class, TrustCommand.class, ResetIdentityCommand.class,
                UpdateAccountCommand.class, UpdateProfileCommand.class, UpdateContactCommand.class,
                AddRelayCommand.class, ProbeCommand.class, StatusCommand.class, ListAccountsCommand.class,
                UpdateGroupCommand.class, QuitGroupCommand.class, ListGroupsCommand.class, DaemonCommand.class,
                JsonRpcCommand.class, AppCommand.class, BenchCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 user error, 2 unexpected, 3 server or network, 4 untrusted identity, "
                + "5 rate limited."})
final class SvyazCommand {
    static final String VERSION = "svyaz 0.1.0";

    @Option(names = {"-d", "--data-dir"}, paramLabel = "DIR",
            description = "Where accounts are kept. Default: $SVYAZ_HOME, else $XDG_DATA_HOME/svyaz, "
                    + "else ~/.local/share/svyaz.")
    Path dataDir;

    @Option(names = {"-a", "--account"}, paramLabel = "USERNAME",
            description = "The account to use when the data directory holds several.")
    String account;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "plain-text (default) or json (one JSON object per line).")
    OutputFormat output = OutputFormat.PLAIN_TEXT;

    enum OutputFormat {
        PLAIN_TEXT, JSON;

        @Override
        public String toString() {
            return name().toLowerCase().replace('_', '-');
        }
    }

    /** The client data directory from -d or the environment. */
    Path dataDir() {
        if (dataDir != null) {
            return dataDir;
        }
        Map<String, String> env = System.getenv();
        if (env.get("SVYAZ_HOME") != null && !env.get("SVYAZ_HOME").isBlank()) {
            return Path.of(env.get("SVYAZ_HOME"));
        }
        if (env.get("XDG_DATA_HOME") != null && !env.get("XDG_DATA_HOME").isBlank()) {
            return Path.of(env.get("XDG_DATA_HOME"), "svyaz");
        }
        return Path.of(System.getProperty("user.home"), ".local", "share", "svyaz");
    }

    /** Usernames of the accounts in the data directory. */
    List<String> accounts() throws IOException {
        List<String> names = new ArrayList<>();
        Path root = dataDir();
        if (!Files.isDirectory(root)) {
            return names;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.startsWith(".") && Files.isRegularFile(entry.resolve(SvyazClient.ACCOUNT_FILE))) {
                    names.add(name);
                }
            }
        }
        names.sort(String::compareTo);
        return names;
    }

    /** The account directory chosen by -a, or the only account there is. */
    Path accountDir() throws IOException, CommandLineException {
        List<String> accounts = accounts();
        if (account != null) {
            if (!accounts.contains(account)) {
                throw new CommandLineException("No account " + account + " in " + dataDir()
                        + (accounts.isEmpty() ? "; register one first." : "; there are: " + String.join(", ", accounts)));
            }
            return dataDir().resolve(account);
        }
        return switch (accounts.size()) {
            case 0 -> throw new CommandLineException("No account in " + dataDir()
                    + ". Register one with: svyaz register --server INVITE_LINK --username NAME");
            case 1 -> dataDir().resolve(accounts.getFirst());
            default -> throw new CommandLineException("Several accounts in " + dataDir() + " ("
                    + String.join(", ", accounts) + "); choose one with -a USERNAME.");
        };
    }

    Optional<String> accountName() {
        return Optional.ofNullable(account);
    }
}
