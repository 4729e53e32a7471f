// Generated from omnisock-core's vocabulary (core/src/vocab.rs) by scripts/gen-vocab.sh. Do not edit.
package dev.omnisock;

/** The core's event kinds, as {@link EventBatch} reports them, and the close flag. */
interface EventKinds {
    /** The connection opened (a client also after each reconnect); carries the request or response line details and the negotiated subprotocol. */
    int OPEN = 1;
    /** A text message (UTF-8, validated once in the core). */
    int TEXT = 2;
    /** A binary message. */
    int BINARY = 3;
    /** The connection closed: close code, reason, and whether the closing handshake completed. For a client this is the last event unless reconnecting follows. */
    int CLOSE = 4;
    /** Something failed: an error code and a message. */
    int ERROR = 5;
    /** A client lost its connection and retries: attempt (1-based), delay, and why the previous connection ended. */
    int RECONNECTING = 6;
    /** A pong with a non-empty payload (the answer to a ping the host sent). */
    int PONG = 7;
    /** Hub, routes with host_accepts: a handshake waits for accept or reject (within 10 s, else HTTP 503); carries what an open carries. */
    int HANDSHAKE = 8;
    /** A client's handshake was refused: HTTP status, response headers and body (at most 64 KiB). An error with HANDSHAKE_REJECTED follows. */
    int REJECTED = 9;
    /** Close event flag: the closing handshake completed. */
    int FLAG_CLEAN = 1;
}
