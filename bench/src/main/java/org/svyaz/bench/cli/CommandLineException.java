// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.bench.cli;

/** A scenario was asked for in a way that cannot work (exit code 1). */
final class CommandLineException extends Exception {
    CommandLineException(String message) {
        super(message);
    }
}
