// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.server.store;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A blob's name: 32 random bytes chosen by the uploader, in unpadded base64url (43 characters).
 * Unguessable, so knowing it is what lets a recipient download; and safe as a file name.
 */
public record BlobId(String value) {
    private static final Pattern FORM = Pattern.compile("[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]");

    public BlobId {
        if (value == null || !FORM.matcher(value).matches()) {
            throw new IllegalArgumentException("a blob id is 32 bytes in unpadded base64url");
        }
    }

    public static Optional<BlobId> parse(String text) {
        return text != null && FORM.matcher(text).matches() ? Optional.of(new BlobId(text)) : Optional.empty();
    }

    @Override
    public String toString() {
        return value;
    }
}
