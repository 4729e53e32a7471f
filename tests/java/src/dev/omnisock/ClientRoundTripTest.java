package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Round trips, close codes and the onClosing/onClosed order against an in-process hub. */
class ClientRoundTripTest {
    static Hub hub;
    static final OmnisockClient client = new OmnisockClient();

    @BeforeAll
    static void start() throws Exception {
        hub = Hub.builder()
                .route("/echo", Hub.RouteKind.ECHO)
                .route("/host", Hub.RouteKind.HOST)
                .listener(new HubListener() {
                    @Override
                    public void onMessage(Hub h, long conn, String text) {
                        if (text.startsWith("close-me:")) {
                            String[] p = text.split(":", 3);
                            h.close(conn, Integer.parseInt(p[1]), p[2]);
                        } else if (text.startsWith("big:")) {
                            h.send(conn, new byte[Integer.parseInt(text.substring(4))]);
                        } else {
                            h.send(conn, "host got " + text);
                        }
                    }
                })
                .start();
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void aDeadMainUrlFallsBackToTheNextUrl() throws Exception {
        OmnisockClient c = new OmnisockClient.Builder()
                .reconnect(5, 10, 50, java.util.concurrent.TimeUnit.MILLISECONDS)
                .fallbackUrls(TestHubs.url(hub, "/echo"))
                .build();
        Recorder r = new Recorder();
        // Port 1 refuses: the first attempt fails, the reconnect goes to the fallback.
        WebSocket ws = c.newWebSocket("ws://127.0.0.1:1/echo", r);
        r.await("open");
        assertTrue(ws.send("via fallback"));
        r.await("text:via fallback");
        ws.close(1000, null);
        r.awaitEnd();
        c.close();
    }

    @Test
    void textRoundTripsKeepContentAndOrder() throws Exception {
        Recorder r = new Recorder();
        WebSocket ws = client.newWebSocket(TestHubs.url(hub, "/echo"), r);
        r.await("open");
        String[] texts = {"hello", "", "héllo wörld ✓ 🌍 日本語", "a\u0000b"};
        for (String t : texts) {
            assertTrue(ws.send(t));
        }
        for (int i = 0; i < 500; i++) {
            assertTrue(ws.send("n" + i));
        }
        r.awaitCount("text:", texts.length + 500);
        List<String> got = r.snapshot();
        int k = got.indexOf("open") + 1;
        for (String t : texts) {
            assertEquals("text:" + t, got.get(k++));
        }
        for (int i = 0; i < 500; i++) {
            assertEquals("text:n" + i, got.get(k++));
        }
        assertTrue(ws.close(1000, "done"));
        r.awaitEnd();
        assertEquals(Arrays.asList("closing:1000:done", "closed:1000:done"), r.snapshot().subList(k, k + 2));
    }

    @Test
    void binaryRoundTripsInEveryForm() throws Exception {
        Recorder r = new Recorder();
        WebSocket ws = client.newWebSocket(TestHubs.url(hub, "/echo"), r);
        r.await("open");
        byte[] plain = {1, 2, 3, (byte) 0xff};
        ByteBuffer heap = ByteBuffer.wrap(new byte[] {9, 9, 4, 5, 6, 9});
        heap.position(2).limit(5);
        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        direct.put(new byte[] {7, 8}).flip();
        byte[] big = new byte[1 << 20];
        new Random(42).nextBytes(big);

        assertTrue(ws.send(plain));
        assertTrue(ws.send(ByteString.of((byte) 0x10, (byte) 0x20)));
        assertTrue(ws.send(heap));
        assertEquals(2, heap.position(), "send(ByteBuffer) leaves the position alone");
        assertTrue(ws.send(direct));
        assertTrue(ws.send(ByteBuffer.wrap(new byte[] {42}).asReadOnlyBuffer()));
        assertTrue(ws.send(new byte[0]));
        assertTrue(ws.send(big));
        r.awaitCount("binary:", 7);
        synchronized (r) {
            assertArrayEquals(plain, r.binaries.get(0));
            assertArrayEquals(new byte[] {0x10, 0x20}, r.binaries.get(1));
            assertArrayEquals(new byte[] {4, 5, 6}, r.binaries.get(2));
            assertArrayEquals(new byte[] {7, 8}, r.binaries.get(3));
            assertArrayEquals(new byte[] {42}, r.binaries.get(4));
            assertArrayEquals(new byte[0], r.binaries.get(5));
            assertArrayEquals(big, r.binaries.get(6));
        }
        ws.close(1000, null);
        r.awaitEnd();
    }

    @Test
    void peerCloseGivesClosingThenClosedWithoutTheAppCallingClose() throws Exception {
        Recorder r = new Recorder();
        WebSocket ws = client.newWebSocket(TestHubs.url(hub, "/host"), r);
        r.await("open");
        assertTrue(ws.send("close-me:4002:server says bye"));
        r.awaitEnd();
        Recorder.awaitDispatcherExit(ws);
        assertEquals(Arrays.asList("open", "closing:4002:server says bye", "closed:4002:server says bye"), r.snapshot());
        assertNull(r.failure);
    }

    @Test
    void clientCloseCodeAndReasonReachTheHub() throws Exception {
        final List<String> seen = new java.util.ArrayList<String>();
        final Object lock = new Object();
        try (Hub h = Hub.builder().route("/h", Hub.RouteKind.HOST).listener(new HubListener() {
            @Override
            public void onClose(Hub hub, long conn, int code, String reason, boolean clean) {
                synchronized (lock) {
                    seen.add(code + ":" + reason + ":" + clean);
                    lock.notifyAll();
                }
            }
        }).start()) {
            Recorder r = new Recorder();
            WebSocket ws = client.newWebSocket(TestHubs.url(h, "/h"), r);
            r.await("open");
            assertTrue(ws.close(4321, "bye from java ✓"));
            r.awaitEnd();
            assertEquals("closed:4321:bye from java ✓", r.snapshot().get(r.snapshot().size() - 1));
            synchronized (lock) {
                long deadline = System.currentTimeMillis() + Recorder.WAIT_S * 1000;
                while (seen.isEmpty() && System.currentTimeMillis() < deadline) {
                    lock.wait(200);
                }
                assertEquals(Arrays.asList("4321:bye from java ✓:true"), seen);
            }
        }
    }

    @Test
    void invalidCloseCodesAreRefused() throws Exception {
        Recorder r = new Recorder();
        WebSocket ws = client.newWebSocket(TestHubs.url(hub, "/echo"), r);
        r.await("open");
        assertThrows(IllegalArgumentException.class, () -> ws.close(999, null));
        assertThrows(IllegalArgumentException.class, () -> ws.close(1005, null));
        assertThrows(IllegalArgumentException.class, () -> ws.close(70000, null));
        StringBuilder longReason = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            longReason.append('x');
        }
        assertThrows(IllegalArgumentException.class, () -> ws.close(1000, longReason.toString()));
        assertTrue(ws.send("still open"), "refused close calls leave the socket open");
        r.await("text:still open");
        assertTrue(ws.close(1000, null));
        r.awaitEnd();
    }

    @Test
    void responseAndSubprotocolAndQueueSize() throws Exception {
        try (Hub h = Hub.start("listen = \"127.0.0.1:0\"\n[[route]]\npath = \"/p\"\nkind = \"echo\"\nsubprotocols = [\"chat.v2\"]\n", null, null)) {
            OmnisockClient c = new OmnisockClient.Builder().subprotocols("chat.v1", "chat.v2").header("X-Test", "1").build();
            final Response[] resp = new Response[1];
            Recorder r = new Recorder() {
                @Override
                public void onOpen(WebSocket ws, Response response) {
                    resp[0] = response;
                    super.onOpen(ws, response);
                }
            };
            WebSocket ws = c.newWebSocket(new Request.Builder().url("http://127.0.0.1:" + h.port() + "/p").build(), r);
            assertEquals("ws://127.0.0.1:" + h.port() + "/p", ws.url(), "http:// means ws:// as in OkHttp");
            r.await("open");
            assertEquals(101, resp[0].code());
            assertEquals("chat.v2", resp[0].subprotocol());
            assertEquals("chat.v2", resp[0].header("sec-websocket-protocol"));
            assertEquals(0, ws.queueSize());
            ws.close();
            r.awaitEnd();
            assertFalse(ws.close(1000, null));
        }
    }

    @Test
    void tooBigIncomingMessageFailsWithMessageTooBig() throws Exception {
        OmnisockClient small = new OmnisockClient.Builder().maxMessageSize(1024).build();
        Recorder r = new Recorder();
        WebSocket ws = small.newWebSocket(TestHubs.url(hub, "/host"), r);
        r.await("open");
        assertTrue(ws.send("big:4096"));
        r.awaitEnd();
        assertTrue(r.failure instanceof OmnisockException.MessageTooBig, "got " + r.snapshot());
        assertEquals(Errors.MESSAGE_TOO_BIG, ((OmnisockException) r.failure).code());
    }
}
