package dev.omnisock;

/**
 * Receives the events of a {@link Hub}'s {@code host} routes (the other route kinds are served
 * by the core alone). Every method has a no-op default; callbacks run one at a time, in order,
 * on the hub's dispatcher thread or its callback executor. A callback that throws is logged and
 * delivery goes on.
 */
public abstract class HubListener {
    /** A route with {@code host_accepts}: answer with {@link Hub#accept} or {@link Hub#reject}. */
    public void onHandshake(Hub hub, long conn, ConnectionInfo info) {}

    /** A connection opened. */
    public void onOpen(Hub hub, long conn, ConnectionInfo info) {}

    /** A text message arrived from {@code conn}. */
    public void onMessage(Hub hub, long conn, String text) {}

    /** A binary message arrived from {@code conn}. */
    public void onMessage(Hub hub, long conn, byte[] bytes) {}

    /** A pong with a payload answered {@link Hub#ping}. */
    public void onPong(Hub hub, long conn, byte[] payload) {}

    /** Something failed on {@code conn}; {@link #onClose} follows when it is gone. */
    public void onError(Hub hub, long conn, Throwable error) {}

    /** The connection is gone. */
    public void onClose(Hub hub, long conn, int code, String reason, boolean clean) {}
}
