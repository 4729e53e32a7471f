package dev.omnisock;

import java.util.NoSuchElementException;

/**
 * The one place where the core's stable error codes become Java exceptions. The native side
 * calls {@link #toThrowable} for every error it throws, and the dispatcher uses it for the causes
 * given to {@code onFailure}.
 *
 * <p>Misuse becomes an unchecked exception: a bad argument or configuration is an
 * {@link IllegalArgumentException}; a closed, freed or foreign handle, or a shut-down runtime, is
 * an {@link IllegalStateException}; an unknown route is a {@link NoSuchElementException}.
 * Network failures are {@link OmnisockException}s (checked, an {@link java.io.IOException}).
 * The codes themselves ({@link ErrorCodes}) are generated from the core.
 */
public final class Errors implements ErrorCodes {
    private Errors() {}

    /** The exception for a core error code and message (called from native code too). */
    public static Throwable toThrowable(int code, String message) {
        switch (code) {
            case INVALID_ARGUMENT:
            case INVALID_UTF8:
            case INVALID_URL:
            case CONFIG:
                return new IllegalArgumentException(message);
            case INVALID_HANDLE:
            case SHUTDOWN:
            case PANIC:
            case BUFFER_TOO_SMALL:
                return new IllegalStateException(message);
            case NOT_FOUND:
                return new NoSuchElementException(message);
            case CLOSED:
                return new OmnisockException.ConnectionClosed(message);
            case QUEUE_FULL:
                return new OmnisockException.QueueFull(message);
            case MESSAGE_TOO_BIG:
                return new OmnisockException.MessageTooBig(message);
            case CONNECT:
                return new OmnisockException.ConnectFailed(message);
            case TLS:
                return new OmnisockException.Tls(message);
            case TIMEOUT:
                return new OmnisockException.Timeout(message);
            case PROTOCOL:
                return new OmnisockException.Protocol(message);
            case HANDSHAKE_REJECTED:
                return new OmnisockException.HandshakeRejected(message);
            default:
                return new OmnisockException(code, message);
        }
    }

    /** Throws {@link #toThrowable} unchecked-style (for native result codes met in Java). */
    static RuntimeException rethrow(int code, String message) {
        Throwable t = toThrowable(code, message);
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        return new IllegalStateException(message, t);
    }
}
