// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

/** Byte searches for tests that scan files for data that must not be there. */
public final class Bytes {
    private Bytes() {}

    /** The first position of {@code needle} in {@code haystack}, or -1. */
    public static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
