// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol;

/**
 * The request paths carried in {@code Request.path}. Paths under {@code /v1/push/} travel from the
 * server to the device; the device's answer to a push is its acknowledgement.
 */
public final class ApiPaths {
    /** HTTP path of the WebSocket upgrade. */
    public static final String WEBSOCKET = "/v1/websocket";
    /**
     * HTTP path of the probe's timed transfer: {@code GET /v1/probe/download?bytes=N} answers N bytes
     * (0 to {@link #PROBE_DOWNLOAD_MAX_BYTES}), without credentials.
     */
    public static final String PROBE_DOWNLOAD = "/v1/probe/download";
    /** The most bytes one probe download may ask for. */
    public static final int PROBE_DOWNLOAD_MAX_BYTES = 256 * 1024;

    /**
     * HTTP path prefix of attachments: {@code /v1/blobs/ID}, where ID is 32 random bytes in unpadded
     * base64url (PUT to upload, resumable; HEAD for progress; GET to download).
     */
    public static final String BLOBS = "/v1/blobs/";

    public static final String REGISTER = "/v1/accounts/register";
    public static final String RESET_IDENTITY = "/v1/accounts/reset-identity";
    public static final String PROFILE_SET = "/v1/profile/set";
    public static final String PROFILE_GET = "/v1/profile/get";
    public static final String DESCRIPTOR = "/v1/descriptor";
    public static final String RELAYS = "/v1/relays";
    /** Short-lived credentials for the TURN servers that carry call media when no direct route works. */
    public static final String TURN_CREDENTIALS = "/v1/calls/turn";
    public static final String USERNAME_LOOKUP = "/v1/usernames/lookup";
    public static final String KEYS_UPLOAD = "/v1/keys/upload";
    public static final String KEYS_COUNT = "/v1/keys/count";
    public static final String KEYS_BUNDLE = "/v1/keys/bundle";
    public static final String MESSAGES_SEND = "/v1/messages/send";
    public static final String MESSAGES_SEND_SEALED = "/v1/messages/send-sealed";
    /** One sealed-sender v2 payload for many recipients, on the authenticated connection. */
    public static final String MESSAGES_SEND_MULTI = "/v1/messages/send-multi";
    /** The same on an unauthenticated connection, proven by the recipients' combined access key. */
    public static final String MESSAGES_SEND_MULTI_SEALED = "/v1/messages/send-multi-sealed";
    public static final String SENDER_CERTIFICATE = "/v1/certificate/sender";
    public static final String SEALED_SENDER_ACCESS = "/v1/accounts/sealed-sender-access";

    public static final String PUSH_MESSAGE = "/v1/push/message";
    public static final String PUSH_QUEUE_EMPTY = "/v1/push/queue-empty";

    private ApiPaths() {}
}
