"""The core's error codes, event kinds and client states.

Generated from omnisock-core's vocabulary (core/src/vocab.rs) by scripts/gen-vocab.sh. Do not edit.
"""

ERR_INVALID_ARGUMENT = 1
"""An argument was invalid (null pointer, bad URL, bad option value, ...)."""
ERR_INVALID_HANDLE = 2
"""The handle is zero, stale, freed, or belongs to another object type."""
ERR_INVALID_UTF8 = 3
"""Text was not valid UTF-8."""
ERR_CLOSED = 4
"""The operation needs an open connection, and it is closed (or closing)."""
ERR_QUEUE_FULL = 5
"""The bounded send queue has no room for this message; nothing was queued."""
ERR_MESSAGE_TOO_BIG = 6
"""The message is larger than the configured maximum."""
ERR_CONNECT = 7
"""Connecting or the opening handshake failed."""
ERR_TLS = 8
"""TLS configuration or certificate verification failed."""
ERR_TIMEOUT = 9
"""An operation did not finish in time."""
ERR_IO = 10
"""Binding the listen address or another I/O step failed."""
ERR_CONFIG = 11
"""Configuration text (TOML, .mdf) could not be parsed."""
ERR_NOT_FOUND = 12
"""The connection id, group or route is not known."""
ERR_SHUTDOWN = 13
"""The runtime or hub has been shut down."""
ERR_PANIC = 14
"""A panic was caught at the FFI boundary (a bug in omnisock; the process keeps running)."""
ERR_BUFFER_TOO_SMALL = 15
"""An output buffer was too small; the required size was reported."""
ERR_PROTOCOL = 16
"""The WebSocket peer violated the protocol."""
ERR_HANDSHAKE_REJECTED = 17
"""The server answered the WebSocket handshake with an HTTP status other than 101 (the refusal, with status, headers and body, is reported as well)."""
ERR_INVALID_URL = 18
"""A URL is malformed or not ws:// / wss://."""

EVENT_OPEN = 1
"""The connection opened (a client also after each reconnect); carries the request or response line details and the negotiated subprotocol."""
EVENT_TEXT = 2
"""A text message (UTF-8, validated once in the core)."""
EVENT_BINARY = 3
"""A binary message."""
EVENT_CLOSE = 4
"""The connection closed: close code, reason, and whether the closing handshake completed. For a client this is the last event unless reconnecting follows."""
EVENT_ERROR = 5
"""Something failed: an error code and a message."""
EVENT_RECONNECTING = 6
"""A client lost its connection and retries: attempt (1-based), delay, and why the previous connection ended."""
EVENT_PONG = 7
"""A pong with a non-empty payload (the answer to a ping the host sent)."""
EVENT_HANDSHAKE = 8
"""Hub, routes with host_accepts: a handshake waits for accept or reject (within 10 s, else HTTP 503); carries what an open carries."""
EVENT_REJECTED = 9
"""A client's handshake was refused: HTTP status, response headers and body (at most 64 KiB). An error with HANDSHAKE_REJECTED follows."""

STATE_CONNECTING = 0
"""Connecting, or waiting to reconnect."""
STATE_OPEN = 1
"""Open: messages flow."""
STATE_CLOSING = 2
"""`close` was called; the closing handshake is under way."""
STATE_CLOSED = 3
"""Closed for good."""

EVENT_FLAG_CLEAN = 1
"""Close event flag: the closing handshake completed."""

ERROR_NAMES = {
    1: "INVALID_ARGUMENT",
    2: "INVALID_HANDLE",
    3: "INVALID_UTF8",
    4: "CLOSED",
    5: "QUEUE_FULL",
    6: "MESSAGE_TOO_BIG",
    7: "CONNECT",
    8: "TLS",
    9: "TIMEOUT",
    10: "IO",
    11: "CONFIG",
    12: "NOT_FOUND",
    13: "SHUTDOWN",
    14: "PANIC",
    15: "BUFFER_TOO_SMALL",
    16: "PROTOCOL",
    17: "HANDSHAKE_REJECTED",
    18: "INVALID_URL",
}
"""Error code number -> name."""
