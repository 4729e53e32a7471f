package dev.omnisock;

/**
 * Receives the events of one {@link WebSocket}. Every method has a no-op default.
 *
 * <p>Order and guarantees (as OkHttp's {@code WebSocketListener}): {@code onOpen} first, then
 * messages; the end is either {@code onClosing} followed by {@code onClosed} (a closing
 * handshake took place — no need to call {@code close()} in {@code onClosing}), or
 * {@code onFailure}; nothing follows {@code onClosed} or {@code onFailure}. With reconnecting on,
 * a lost connection gives {@code onReconnecting} and, once connected again, {@code onOpen}
 * again. Callbacks run one at a time, on the client's callback executor (default: one
 * dispatcher thread per socket). A callback that throws is logged and delivery goes on.
 */
public abstract class WebSocketListener {
    /** The connection is open (again, after a reconnect). */
    public void onOpen(WebSocket webSocket, Response response) {}

    /** A text message arrived. */
    public void onMessage(WebSocket webSocket, String text) {}

    /** A binary message arrived. The default hands it to {@link #onMessage(WebSocket, ByteString)}. */
    public void onMessage(WebSocket webSocket, byte[] bytes) {
        onMessage(webSocket, ByteString.wrap(bytes));
    }

    /** A binary message arrived (the form OkHttp listeners override). */
    public void onMessage(WebSocket webSocket, ByteString bytes) {}

    /** The peer's close frame arrived: no more messages will come. {@code onClosed} follows. */
    public void onClosing(WebSocket webSocket, int code, String reason) {}

    /** The connection is closed for good. Nothing follows. */
    public void onClosed(WebSocket webSocket, int code, String reason) {}

    /**
     * The connection failed (could not connect, TLS, timeout, protocol error, lost without a
     * closing handshake, canceled). Nothing follows. The default calls
     * {@link #onFailure(WebSocket, Throwable)}.
     *
     * @param response the server's refusal (status, headers, body) when it answered the
     *     handshake with a status other than 101, else null
     */
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
        onFailure(webSocket, t);
    }

    /** See {@link #onFailure(WebSocket, Throwable, Response)}. */
    public void onFailure(WebSocket webSocket, Throwable t) {}

    /**
     * The connection was lost and the client will try again after {@code delayMillis}
     * (reconnecting must be enabled in {@link OmnisockClient.Builder#reconnect}).
     *
     * @param attempt 1 for the first retry
     * @param reason why the previous connection ended
     */
    public void onReconnecting(WebSocket webSocket, int attempt, long delayMillis, String reason) {}
}
