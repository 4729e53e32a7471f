package dev.omnisock.okhttpstyle;

import java.util.concurrent.TimeUnit;

import dev.omnisock.ByteString;
import dev.omnisock.OkHttpClient;
import dev.omnisock.Request;
import dev.omnisock.Response;
import dev.omnisock.WebSocket;
import dev.omnisock.WebSocketListener;

/**
 * A program written the way OkHttp's WebSocket echo recipe is: only OkHttp-named API, a client
 * whose read timeout is off, the dispatcher's executor shut down right after the socket is
 * started, and {@code main} returning at once. The JVM must stay alive until the echo and the
 * closing handshake are done (non-daemon socket thread) and then exit by itself.
 *
 * <p>Usage: {@code EchoProgram ws://host:port/echo}. Prints one line per event.
 */
public final class EchoProgram extends WebSocketListener {
    private final String url;

    private EchoProgram(String url) {
        this.url = url;
    }

    private void start() {
        OkHttpClient client = new OkHttpClient.Builder()
                .readTimeout(0, TimeUnit.MILLISECONDS)
                .build();
        client.newWebSocket(new Request.Builder().url(url).build(), this);
        // New sockets are refused from here on; the one above runs to its end.
        client.dispatcher().executorService().shutdown();
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
        System.out.println("OPEN: " + response.code());
        webSocket.send("first text");
        webSocket.send("second text");
        webSocket.send(ByteString.decodeHex("cafe01ff"));
        webSocket.close(1000, "done here");
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
        System.out.println("TEXT: " + text);
    }

    @Override
    public void onMessage(WebSocket webSocket, ByteString bytes) {
        System.out.println("BINARY: " + bytes.hex());
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
        webSocket.close(1000, null);
        System.out.println("CLOSING: " + code + " " + reason);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
        System.out.println("FAILURE: " + t);
    }

    public static void main(String... args) {
        new EchoProgram(args[0]).start();
    }
}
