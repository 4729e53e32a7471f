package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ReconnectTest {
    @Test
    void reconnectsAfterTheHubRestarts() throws Exception {
        OmnisockClient c = new OmnisockClient.Builder()
                .reconnect(50, 20, 200, TimeUnit.MILLISECONDS)
                .build();
        Hub first = TestHubs.echoHub();
        int port = first.port();
        Recorder r = new Recorder();
        WebSocket ws = c.newWebSocket(TestHubs.url(first, "/echo"), r);
        r.await("open");
        assertTrue(ws.send("before"));
        r.await("text:before");

        first.close(); // graceful: 1001 to every connection
        r.await("reconnecting:1");
        // Nothing terminal while it retries.
        assertEquals(0, r.count("closed"));
        assertEquals(0, r.count("failure"));

        try (Hub second = Hub.builder().listen("127.0.0.1:" + port).route("/echo", Hub.RouteKind.ECHO).start()) {
            assertEquals(port, second.port());
            r.awaitCount("open", 2);
            assertTrue(ws.send("after"));
            r.await("text:after");
            assertTrue(ws.close(1000, "done"));
            r.awaitEnd();
        }
        List<String> ev = r.snapshot();
        assertEquals("open", ev.get(0));
        assertEquals("closed:1000:done", ev.get(ev.size() - 1));
        assertEquals(0, r.count("failure"));
        // onOpen again only after onReconnecting.
        int secondOpen = ev.lastIndexOf("open");
        assertTrue(ev.subList(0, secondOpen).contains("reconnecting:1"), ev.toString());
    }

    @Test
    void givesUpAfterMaxAttemptsWithOnFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        OmnisockClient c = new OmnisockClient.Builder().reconnect(2, 10, 10, TimeUnit.MILLISECONDS).build();
        Recorder r = new Recorder();
        WebSocket ws = c.newWebSocket("ws://127.0.0.1:" + port + "/", r);
        r.awaitEnd();
        Recorder.awaitDispatcherExit(ws);
        assertEquals(java.util.Arrays.asList("reconnecting:1", "reconnecting:2"), r.snapshot().subList(0, 2));
        assertEquals(3, r.snapshot().size(), r.snapshot().toString());
        assertTrue(r.failure instanceof OmnisockException, "got " + r.failure);
        assertTrue(r.failure.getMessage().contains("gave up"), r.failure.getMessage());
    }
}
