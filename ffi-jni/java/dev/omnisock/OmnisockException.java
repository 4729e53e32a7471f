package dev.omnisock;

import java.io.IOException;

/**
 * A network-level failure reported by omnisock, with the stable error code of the core
 * (the same numbers as the C ABI's {@code OMNISOCK_ERR_*}). Delivered to
 * {@link WebSocketListener#onFailure(WebSocket, Throwable, Response)} and thrown by
 * {@link Hub.Builder#start()}; subclasses name the common kinds.
 */
public class OmnisockException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public OmnisockException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The core's error code (see {@link Errors}). */
    public int code() {
        return code;
    }

    /** Connecting, or the opening handshake, failed (refused, unreachable, HTTP status instead of 101). */
    public static class ConnectFailed extends OmnisockException {
        private static final long serialVersionUID = 1L;
        public ConnectFailed(String message) { super(Errors.CONNECT, message); }
        protected ConnectFailed(int code, String message) { super(code, message); }
    }

    /**
     * The server answered the handshake with an HTTP status instead of 101; the
     * {@link Response} given to {@code onFailure} has the status, headers and body.
     */
    public static class HandshakeRejected extends ConnectFailed {
        private static final long serialVersionUID = 1L;
        public HandshakeRejected(String message) { super(Errors.HANDSHAKE_REJECTED, message); }
    }

    /** TLS configuration or certificate verification failed. */
    public static class Tls extends OmnisockException {
        private static final long serialVersionUID = 1L;
        public Tls(String message) { super(Errors.TLS, message); }
    }

    /** Connect timeout, or the keepalive found the peer dead (no pong in time). */
    public static class Timeout extends OmnisockException {
        private static final long serialVersionUID = 1L;
        public Timeout(String message) { super(Errors.TIMEOUT, message); }
    }

    /** The peer violated the WebSocket protocol. */
    public static class Protocol extends OmnisockException {
        private static final long serialVersionUID = 1L;
        public Protocol(String message) { super(Errors.PROTOCOL, message); }
    }

    /** A message was larger than the configured maximum (the connection closed with 1009). */
    public static class MessageTooBig extends OmnisockException {
        private static final long serialVersionUID = 1L;
        public MessageTooBig(String message) { super(Errors.MESSAGE_TOO_BIG, message); }
    }

    /** The connection ended without a closing handshake (lost, canceled, or closed abnormally). */
    public static class ConnectionClosed extends OmnisockException {
        private static final long serialVersionUID = 1L;
        public ConnectionClosed(String message) { super(Errors.CLOSED, message); }
    }

    /** The bounded send queue had no room. */
    public static class QueueFull extends OmnisockException {
        private static final long serialVersionUID = 1L;
        public QueueFull(String message) { super(Errors.QUEUE_FULL, message); }
    }
}
