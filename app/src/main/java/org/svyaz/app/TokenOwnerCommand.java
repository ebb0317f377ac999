// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.svyaz.protocol.InvalidInviteLinkException;
import org.svyaz.protocol.InviteLink;
import org.svyaz.protocol.RelayLink;
import org.svyaz.protocol.RelayToken;
import org.svyaz.server.identity.RelayGrants;
import org.svyaz.server.store.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Tells the operator whom a relay link with a token was issued to: an account, or an invite not
 * used yet. A relay that censors found and blocked can so be traced to the account (or invite)
 * that leaked it.
 */
@Command(name = "token-owner", mixinStandardHelpOptions = true,
        description = {"Tell whom a relay token was issued to: the account, or the invite not used yet.",
                "Give a relay link with a token (as the server hands them to accounts), or an invite link that "
                        + "carries relays. Runs beside the server; reads every account, so it takes a while on a "
                        + "large one."})
final class TokenOwnerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "Server data directory (default: ./svyaz-data).")
    Path data = ServerCommand.DEFAULT_DATA;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The server's YAML file, for its data directory and storage (a cluster's PostgreSQL).")
    Path configFile;

    @Parameters(paramLabel = "LINK", description = "A relay link with a token, or an invite link with relays.")
    String link;

    @Override
    public Integer call() throws Exception {
        byte[] token = token(link.strip());
        ServerCommand.ExistingServer server = ServerCommand.ExistingServer.open(spec, configFile, data);
        Optional<RelayGrants.Owner> owner;
        try (Storage storage = server.storage()) {
            owner = RelayGrants.open(server.data(), Clock.systemUTC()).ownerOf(RelayToken.tag(token), storage.accounts());
        }
        String validUntil = Instant.ofEpochSecond(RelayToken.expiresAtSeconds(token)).toString();
        if (owner.isEmpty()) {
            spec.commandLine().getErr().println("No account or open invite on this server was given this token "
                    + "(valid until " + validUntil + "): its invite may be used or expired, its account deleted, "
                    + "or it is another server's.");
            return ExitCodes.USER_ERROR;
        }
        spec.commandLine().getOut().println(switch (owner.get()) {
            case RelayGrants.Owner.OfAccount account -> "account " + account.accountId()
                    + " (the token is valid until " + validUntil + ")";
            case RelayGrants.Owner.OfInvite invite -> "an invite not used yet, valid until "
                    + Instant.ofEpochMilli(invite.expiresAtMillis()) + " (the token until " + validUntil + ")";
        });
        return ExitCodes.OK;
    }

    /** The granted token in a relay link, or in the first relay of an invite link. */
    private static byte[] token(String text) throws CommandLineException {
        List<RelayLink> relays;
        try {
            relays = text.startsWith(RelayLink.PREFIX) ? List.of(RelayLink.parse(text)) : InviteLink.parse(text).relays();
        } catch (InvalidInviteLinkException e) {
            throw new CommandLineException("Not a relay or invite link: " + e.getMessage());
        }
        return relays.stream().filter(RelayLink::granted).findFirst().map(RelayLink::token)
                .orElseThrow(() -> new CommandLineException("The link carries no relay token: a relay link the "
                        + "operator shares by hand holds the relay's secret, which names no one."));
    }
}
