// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client.net;

/** Turns a chain of exceptions into the sentence at its root, for messages a user reads. */
final class Causes {
    private Causes() {}

    static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
