package dev.omnisock;

import java.nio.ByteBuffer;

/**
 * The socket {@link OkHttpClient#newWebSocket} returns when its dispatcher is shut down: it
 * never connects, its listener has had {@code onFailure}, and every method is inert (sends
 * answer false), as OkHttp's socket whose call the executor rejected.
 */
final class RefusedWebSocket implements WebSocket {
    private final Request request;

    RefusedWebSocket(Request request) {
        this.request = request;
    }

    @Override public Request request() { return request; }

    @Override public String url() { return request.url(); }

    @Override public long queueSize() { return 0; }

    @Override public boolean send(String text) { return false; }

    @Override public boolean send(byte[] bytes) { return false; }

    @Override public boolean send(ByteString bytes) { return false; }

    @Override public boolean send(ByteBuffer buffer) { return false; }

    @Override public boolean close(int code, String reason) { return false; }

    @Override public void close() {}

    @Override public void cancel() {}

    @Override
    public String toString() {
        return "WebSocket{url=" + request.url() + ", refused}";
    }
}
