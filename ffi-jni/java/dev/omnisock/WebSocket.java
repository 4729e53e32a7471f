package dev.omnisock;

import java.nio.ByteBuffer;

/**
 * A WebSocket connection made by {@link OmnisockClient#newWebSocket}. Every method is
 * thread-safe and returns at once (sending only enqueues).
 *
 * <p>Unlike OkHttp, a full send queue does not close the connection: {@code send} answers
 * {@code false} and queues nothing, and the app may retry when {@link #queueSize()} drops.
 */
public interface WebSocket extends AutoCloseable {
    /** Makes web sockets (OkHttp's {@code WebSocket.Factory}; {@link OkHttpClient} is one). */
    interface Factory {
        /** Starts connecting {@code request}; the outcome arrives at {@code listener}. */
        WebSocket newWebSocket(Request request, WebSocketListener listener);
    }

    /** The request this socket was made from. */
    Request request();

    /** The URL this socket connects to. */
    String url();

    /** Bytes queued to send and not yet written to the network. */
    long queueSize();

    /** Queues a text message. False if the socket is closing/closed or the send queue is full. */
    boolean send(String text);

    /** Queues a binary message (the array is copied). False like {@link #send(String)}. */
    boolean send(byte[] bytes);

    /** Queues a binary message. False like {@link #send(String)}. */
    boolean send(ByteString bytes);

    /**
     * Queues the remaining bytes of {@code buffer} as one binary message; the buffer's position
     * does not change. Direct buffers are read without an intermediate Java array.
     */
    boolean send(ByteBuffer buffer);

    /**
     * Starts the closing handshake after the queued messages (a socket still connecting stops
     * at once). The listener then gets {@code onClosing} and {@code onClosed}.
     *
     * @param code a close code (1000, 1001, 1003, ..., 3000-4999)
     * @param reason null or at most 123 UTF-8 bytes
     * @return false if the socket is already closing or closed
     * @throws IllegalArgumentException for a code or reason the protocol forbids
     */
    boolean close(int code, String reason);

    /** {@code close(1000, null)}; nothing if already closing or closed. */
    @Override
    void close();

    /**
     * Drops the connection at once, discarding queued messages. The listener gets
     * {@code onFailure} (unless the socket had already ended).
     */
    void cancel();
}
