package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The Hub binding: host-route events, send, groups, broadcast, handshake decisions, ping. */
class HubApiTest {
    /** Records hub events as lines. */
    static final class HubEvents extends HubListener {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<String>();
        final List<ConnectionInfo> opened = new ArrayList<ConnectionInfo>();
        final List<String> threads = new ArrayList<String>();

        String next() throws InterruptedException {
            String s = lines.poll(Recorder.WAIT_S, TimeUnit.SECONDS);
            if (s == null) {
                throw new AssertionError("no hub event within " + Recorder.WAIT_S + " s");
            }
            return s;
        }

        private void add(String s) {
            synchronized (threads) {
                threads.add(Thread.currentThread().getName());
            }
            lines.add(s);
        }

        @Override public void onHandshake(Hub hub, long conn, ConnectionInfo info) {
            add("handshake:" + info.query());
            if (info.query().contains("deny")) {
                hub.reject(conn, 403, "go away");
            } else {
                hub.accept(conn, info.header("sec-websocket-protocol") != null ? "v2" : null);
            }
        }
        @Override public void onOpen(Hub hub, long conn, ConnectionInfo info) {
            synchronized (opened) {
                opened.add(info);
            }
            add("open:" + conn);
        }
        @Override public void onMessage(Hub hub, long conn, String text) { add("text:" + conn + ":" + text); }
        @Override public void onMessage(Hub hub, long conn, byte[] bytes) { add("binary:" + conn + ":" + bytes.length); }
        @Override public void onPong(Hub hub, long conn, byte[] payload) { add("pong:" + conn + ":" + new String(payload, java.nio.charset.StandardCharsets.UTF_8)); }
        @Override public void onClose(Hub hub, long conn, int code, String reason, boolean clean) { add("close:" + conn + ":" + code + ":" + reason + ":" + clean); }
    }

    @Test
    void hostRouteEventsSendGroupsAndBroadcast() throws Exception {
        HubEvents events = new HubEvents();
        try (Hub hub = Hub.builder().route("/rpc", Hub.RouteKind.HOST).route("/room", Hub.RouteKind.BROADCAST)
                .listener(events).start()) {
            OmnisockClient c = new OmnisockClient.Builder().header("X-User", "alice").build();
            Recorder a = new Recorder();
            Recorder b = new Recorder();
            WebSocket wa = c.newWebSocket(TestHubs.url(hub, "/rpc?room=1"), a);
            String openA = events.next();
            WebSocket wb = c.newWebSocket(TestHubs.url(hub, "/rpc"), b);
            String openB = events.next();
            a.await("open");
            b.await("open");
            long ca = Long.parseLong(openA.substring(5));
            long cb = Long.parseLong(openB.substring(5));
            assertTrue(ca > 0 && cb > 0 && ca != cb);
            ConnectionInfo info = events.opened.get(0);
            assertEquals("/rpc", info.path());
            assertEquals("room=1", info.query());
            assertEquals("alice", info.header("x-user"));
            assertTrue(info.remoteAddress().startsWith("127.0.0.1:"), info.remoteAddress());
            assertEquals(2, hub.connectionCount());

            assertTrue(wa.send("hi hub"));
            assertEquals("text:" + ca + ":hi hub", events.next());
            assertTrue(wb.send(new byte[] {1, 2, 3}));
            assertEquals("binary:" + cb + ":3", events.next());

            assertTrue(hub.send(ca, "to a"));
            assertTrue(hub.send(cb, new byte[] {9}));
            a.await("text:to a");
            b.await("binary:09");

            assertTrue(hub.join(ca, "g"));
            assertTrue(hub.join(cb, "g"));
            assertEquals(2, hub.groupSize("g"));
            assertEquals(1, hub.publish("g", "group msg", ca));
            b.await("text:group msg");
            assertTrue(hub.leave(cb, "g"));
            assertFalse(hub.leave(cb, "g"));
            assertEquals(1, hub.publish("g", "only a", 0));
            a.await("text:only a");
            assertEquals(2, hub.broadcast("/rpc", "everyone", 0));
            a.await("text:everyone");
            b.await("text:everyone");
            assertTrue(hub.statusJson().contains("/rpc"), hub.statusJson());
            assertTrue(hub.queuedBytes(ca) >= 0, "known connection");

            assertTrue(hub.close(cb, 4005, "kicked"));
            b.awaitEnd();
            assertEquals("closed:4005:kicked", b.snapshot().get(b.snapshot().size() - 1));
            assertEquals("close:" + cb + ":4005:kicked:true", events.next());
            wa.close(1000, "bye");
            a.awaitEnd();
            assertEquals("close:" + ca + ":1000:bye:true", events.next());
            for (String t : events.threads) {
                assertTrue(t.startsWith("omnisock-hub-"), t);
            }
            assertFalse(wb.send("gone"));
        }
    }

    @Test
    void handshakesAreAcceptedOrRejectedByTheHost() throws Exception {
        HubEvents events = new HubEvents();
        try (Hub hub = Hub.builder().hostRouteWithHandshake("/gate", "v2").listener(events).start()) {
            Recorder denied = new Recorder();
            new OmnisockClient().newWebSocket(TestHubs.url(hub, "/gate?deny=1"), denied);
            assertEquals("handshake:deny=1", events.next());
            denied.awaitEnd();
            assertTrue(denied.failure instanceof OmnisockException.ConnectFailed, denied.snapshot().toString());
            assertTrue(denied.failure.getMessage().contains("403"), denied.failure.getMessage());
            assertEquals(403, denied.failureResponse.code());
            assertEquals("go away", denied.failureResponse.bodyString());

            final Response[] resp = new Response[1];
            Recorder ok = new Recorder() {
                @Override
                public void onOpen(WebSocket ws, Response r) {
                    resp[0] = r;
                    super.onOpen(ws, r);
                }
            };
            WebSocket ws = new OmnisockClient.Builder().subprotocols("v2").build().newWebSocket(TestHubs.url(hub, "/gate?let=me"), ok);
            assertEquals("handshake:let=me", events.next());
            ok.await("open");
            assertEquals("v2", resp[0].subprotocol());
            String open = events.next();
            assertTrue(open.startsWith("open:"), open);
            long conn = Long.parseLong(open.substring(5));
            assertTrue(hub.ping(conn, "are you there".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertEquals("pong:" + conn + ":are you there", events.next());
            assertFalse(hub.accept(conn, null), "that handshake was already answered");
            ws.close(1000, null);
            ok.awaitEnd();
        }
    }

    @Test
    void hubCallbacksRunOnTheGivenExecutorAndCloseDeliversTheRest() throws Exception {
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "hub-app-thread"));
        try {
            HubEvents events = new HubEvents();
            Hub hub = Hub.builder().route("/rpc", Hub.RouteKind.HOST).listener(events).callbackExecutor(ex).start();
            Recorder r = new Recorder();
            WebSocket ws = new OmnisockClient().newWebSocket(TestHubs.url(hub, "/rpc"), r);
            r.await("open");
            String open = events.next();
            ws.send("x");
            assertTrue(events.next().endsWith(":x"));
            hub.close(); // 1001 to the client; its close event still reaches the listener
            r.awaitEnd();
            assertEquals("closing:1001:hub shutting down", r.snapshot().get(r.snapshot().size() - 2));
            String close = events.next();
            assertTrue(close.startsWith("close:" + open.substring(5) + ":1001"), close);
            for (String t : events.threads) {
                assertEquals("hub-app-thread", t);
            }
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void binaryPublishReachesMembersIntact() throws Exception {
        try (Hub hub = Hub.builder().route("/rpc", Hub.RouteKind.HOST).listener(new HubListener() {
            @Override
            public void onOpen(Hub h, long conn, ConnectionInfo info) {
                h.join(conn, "all");
                h.send(conn, "joined");
            }
        }).start()) {
            Recorder r = new Recorder();
            WebSocket ws = new OmnisockClient().newWebSocket(TestHubs.url(hub, "/rpc"), r);
            r.await("text:joined");
            byte[] data = new byte[100_000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
            assertEquals(1, hub.publish("all", data, 0));
            r.await("binary:");
            synchronized (r) {
                assertArrayEquals(data, r.binaries.get(0));
            }
            ws.close(1000, null);
            r.awaitEnd();
        }
    }
}
