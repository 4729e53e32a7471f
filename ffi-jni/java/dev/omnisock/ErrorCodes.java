// Generated from omnisock-core's vocabulary (core/src/vocab.rs) by scripts/gen-vocab.sh. Do not edit.
package dev.omnisock;

/**
 * The core's stable error codes (numbers are never reused). {@link Errors#toThrowable} maps them to exceptions;
 * {@link OmnisockException#code()} carries them.
 */
public interface ErrorCodes {
    /** An argument was invalid (null pointer, bad URL, bad option value, ...). */
    int INVALID_ARGUMENT = 1;
    /** The handle is zero, stale, freed, or belongs to another object type. */
    int INVALID_HANDLE = 2;
    /** Text was not valid UTF-8. */
    int INVALID_UTF8 = 3;
    /** The operation needs an open connection, and it is closed (or closing). */
    int CLOSED = 4;
    /** The bounded send queue has no room for this message; nothing was queued. */
    int QUEUE_FULL = 5;
    /** The message is larger than the configured maximum. */
    int MESSAGE_TOO_BIG = 6;
    /** Connecting or the opening handshake failed. */
    int CONNECT = 7;
    /** TLS configuration or certificate verification failed. */
    int TLS = 8;
    /** An operation did not finish in time. */
    int TIMEOUT = 9;
    /** Binding the listen address or another I/O step failed. */
    int IO = 10;
    /** Configuration text (TOML, .mdf) could not be parsed. */
    int CONFIG = 11;
    /** The connection id, group or route is not known. */
    int NOT_FOUND = 12;
    /** The runtime or hub has been shut down. */
    int SHUTDOWN = 13;
    /** A panic was caught at the FFI boundary (a bug in omnisock; the process keeps running). */
    int PANIC = 14;
    /** An output buffer was too small; the required size was reported. */
    int BUFFER_TOO_SMALL = 15;
    /** The WebSocket peer violated the protocol. */
    int PROTOCOL = 16;
    /** The server answered the WebSocket handshake with an HTTP status other than 101 (the refusal, with status, headers and body, is reported as well). */
    int HANDSHAKE_REJECTED = 17;
    /** A URL is malformed or not ws:// / wss://. */
    int INVALID_URL = 18;
}
