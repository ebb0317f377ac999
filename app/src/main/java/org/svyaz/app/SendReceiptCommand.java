// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "sendReceipt", mixinStandardHelpOptions = true,
        description = {"Tell a contact that you read (or viewed) messages they sent.",
                "Delivery receipts need no command: receive sends them for every message it stores."})
final class SendReceiptCommand implements Callable<Integer> {
    enum Type { READ, VIEWED;

        @Override
        public String toString() {
            return name().toLowerCase();
        }
    }

    @ParentCommand
    SvyazCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--target-timestamp"}, required = true, paramLabel = "TIMESTAMP",
            description = "The sent timestamp of a message from the contact; repeatable.")
    List<Long> timestamps;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "read", converter = TypeConverter.class,
            description = "read (default) or viewed.")
    Type type;

    @Parameters(arity = "1", paramLabel = "USERNAME", description = "The contact who sent the messages, like alice.42.")
    String recipient;

    static final class TypeConverter implements picocli.CommandLine.ITypeConverter<Type> {
        @Override
        public Type convert(String value) {
            return Type.valueOf(value.toUpperCase(Locale.ROOT));
        }
    }

    @Override
    public Integer call() throws Exception {
        ObjectNode params = Output.object().put("recipient", recipient).put("type", type.toString());
        timestamps.forEach(params.putArray("targetTimestamp")::add);
        Output.sent(root, spec, AccountCall.run(root, spec, "sendReceipt", params));
        return ExitCodes.OK;
    }
}
