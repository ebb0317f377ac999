// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.app;

/** A command was used in a way that cannot work (exit code 1). */
final class CommandLineException extends Exception {
    CommandLineException(String message) {
        super(message);
    }
}
