// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app.methods;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Every account method, as the daemon serves them and the CLI runs them. */
public final class MethodCatalog {
    private static final List<AccountMethod> ALL = collect();

    private MethodCatalog() {}

    private static List<AccountMethod> collect() {
        List<AccountMethod> all = new ArrayList<>();
        all.addAll(MessageMethods.all());
        all.addAll(GroupMethods.all());
        all.addAll(ContactMethods.all());
        all.addAll(SettingsMethods.all());
        all.add(Probing.method());
        all.addAll(HistoryMethods.all());
        all.addAll(CallMethods.all());
        return List.copyOf(all);
    }

    public static List<AccountMethod> all() {
        return ALL;
    }

    public static AccountMethod named(String name) {
        Optional<AccountMethod> found = ALL.stream().filter(m -> m.name().equals(name)).findFirst();
        return found.orElseThrow(() -> new IllegalArgumentException("no account method " + name));
    }
}
