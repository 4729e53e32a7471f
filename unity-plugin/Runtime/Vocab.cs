// Generated from omnisock-core's vocabulary (core/src/vocab.rs) by scripts/gen-vocab.sh. Do not edit.
namespace Omnisock
{
    /// <summary>Result codes of the native library (omnisock_result); numbers are never reused.</summary>
    public enum OmnisockResult
    {
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>An argument was invalid (null pointer, bad URL, bad option value, ...).</summary>
        InvalidArgument = 1,
        /// <summary>The handle is zero, stale, freed, or belongs to another object type.</summary>
        InvalidHandle = 2,
        /// <summary>Text was not valid UTF-8.</summary>
        InvalidUtf8 = 3,
        /// <summary>The operation needs an open connection, and it is closed (or closing).</summary>
        Closed = 4,
        /// <summary>The bounded send queue has no room for this message; nothing was queued.</summary>
        QueueFull = 5,
        /// <summary>The message is larger than the configured maximum.</summary>
        MessageTooBig = 6,
        /// <summary>Connecting or the opening handshake failed.</summary>
        Connect = 7,
        /// <summary>TLS configuration or certificate verification failed.</summary>
        Tls = 8,
        /// <summary>An operation did not finish in time.</summary>
        Timeout = 9,
        /// <summary>Binding the listen address or another I/O step failed.</summary>
        Io = 10,
        /// <summary>Configuration text (TOML, .mdf) could not be parsed.</summary>
        Config = 11,
        /// <summary>The connection id, group or route is not known.</summary>
        NotFound = 12,
        /// <summary>The runtime or hub has been shut down.</summary>
        Shutdown = 13,
        /// <summary>A panic was caught at the FFI boundary (a bug in omnisock; the process keeps running).</summary>
        Panic = 14,
        /// <summary>An output buffer was too small; the required size was reported.</summary>
        BufferTooSmall = 15,
        /// <summary>The WebSocket peer violated the protocol.</summary>
        Protocol = 16,
        /// <summary>The server answered the WebSocket handshake with an HTTP status other than 101 (the refusal, with status, headers and body, is reported as well).</summary>
        HandshakeRejected = 17,
        /// <summary>A URL is malformed or not ws:// / wss://.</summary>
        InvalidUrl = 18,
    }

    internal static partial class Native
    {
        /// <summary>The connection opened (a client also after each reconnect); carries the request or response line details and the negotiated subprotocol.</summary>
        internal const int EVENT_OPEN = 1;
        /// <summary>A text message (UTF-8, validated once in the core).</summary>
        internal const int EVENT_TEXT = 2;
        /// <summary>A binary message.</summary>
        internal const int EVENT_BINARY = 3;
        /// <summary>The connection closed: close code, reason, and whether the closing handshake completed. For a client this is the last event unless reconnecting follows.</summary>
        internal const int EVENT_CLOSE = 4;
        /// <summary>Something failed: an error code and a message.</summary>
        internal const int EVENT_ERROR = 5;
        /// <summary>A client lost its connection and retries: attempt (1-based), delay, and why the previous connection ended.</summary>
        internal const int EVENT_RECONNECTING = 6;
        /// <summary>A pong with a non-empty payload (the answer to a ping the host sent).</summary>
        internal const int EVENT_PONG = 7;
        /// <summary>Hub, routes with host_accepts: a handshake waits for accept or reject (within 10 s, else HTTP 503); carries what an open carries.</summary>
        internal const int EVENT_HANDSHAKE = 8;
        /// <summary>A client's handshake was refused: HTTP status, response headers and body (at most 64 KiB). An error with HANDSHAKE_REJECTED follows.</summary>
        internal const int EVENT_REJECTED = 9;
        /// <summary>Close event flag: the closing handshake completed.</summary>
        internal const uint EVENT_FLAG_CLEAN = 1;
        /// <summary>Connecting, or waiting to reconnect.</summary>
        internal const int STATE_CONNECTING = 0;
        /// <summary>Open: messages flow.</summary>
        internal const int STATE_OPEN = 1;
        /// <summary>`close` was called; the closing handshake is under way.</summary>
        internal const int STATE_CLOSING = 2;
        /// <summary>Closed for good.</summary>
        internal const int STATE_CLOSED = 3;
    }
}
