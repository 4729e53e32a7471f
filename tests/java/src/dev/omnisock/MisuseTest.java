package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.NoSuchElementException;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Misuse gets clear answers and never crashes the JVM. */
class MisuseTest {
    static final OmnisockClient client = new OmnisockClient();

    @Test
    void sendAfterCloseReturnsFalseAndCloseTwiceReturnsFalse() throws Exception {
        try (Hub hub = TestHubs.echoHub()) {
            Recorder r = new Recorder();
            WebSocket ws = client.newWebSocket(TestHubs.url(hub, "/echo"), r);
            r.await("open");
            assertTrue(ws.close(1000, "first"));
            assertFalse(ws.close(1000, "second"), "close twice");
            assertFalse(ws.send("after close"), "send while closing");
            assertFalse(ws.send(new byte[] {1}));
            r.awaitEnd();
            Recorder.awaitDispatcherExit(ws);
            assertFalse(ws.send("after closed"));
            assertFalse(ws.close(1000, null));
            assertEquals(0, ws.queueSize());
            ws.cancel();
            ws.close();
            assertEquals(0, r.count("text:"));
        }
    }

    @Test
    void staleForeignAndForgedHandlesThrowIllegalStateException() throws Exception {
        long h = Native.clientConnect("{\"url\":\"ws://127.0.0.1:1/\"}");
        Native.clientCancel(h);
        Native.clientFree(h);
        Native.clientFree(h); // double free: no-op
        Native.clientFree(0);
        assertThrows(IllegalStateException.class, () -> Native.clientState(h));
        assertThrows(IllegalStateException.class, () -> Native.clientQueuedBytes(h));
        assertThrows(IllegalStateException.class, () -> Native.clientPoll(h, 0, new long[4], new Object[1]));
        assertEquals(Errors.INVALID_HANDLE, Native.clientSendText(h, new byte[1], 0, 1), "send-like calls answer a code");
        assertThrows(IllegalStateException.class, () -> Native.clientState(0x1234_5678_9abcL));
        assertThrows(IllegalStateException.class, () -> Native.hubConnectionCount(-1L));
        try (Hub hub = TestHubs.echoHub()) {
            // A hub handle is not a client handle (and the other way round).
            long hubHandle = handleOf(hub);
            assertThrows(IllegalStateException.class, () -> Native.clientState(hubHandle));
            assertThrows(IllegalStateException.class, () -> Native.hubConnectionCount(h));
        }
    }

    static long handleOf(Hub hub) throws Exception {
        java.lang.reflect.Field f = Hub.class.getDeclaredField("handle");
        f.setAccessible(true);
        return f.getLong(hub);
    }

    @Test
    void badArgumentsToNativeCallsThrowInsteadOfCrashing() {
        long h = Native.clientConnect("{\"url\":\"ws://127.0.0.1:1/\"}");
        try {
            assertThrows(IllegalArgumentException.class, () -> Native.clientSendBinary(h, new byte[4], 2, 10));
            assertThrows(IllegalArgumentException.class, () -> Native.clientSendBinary(h, new byte[4], -1, 1));
            assertThrows(IllegalArgumentException.class, () -> Native.clientSendBinary(h, null, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> Native.clientSendText(h, new byte[] {(byte) 0xff}, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> Native.clientPoll(h, 0, new long[0], new Object[0]));
            assertThrows(IllegalArgumentException.class, () -> Native.clientConnect(null));
            assertThrows(IllegalArgumentException.class, () -> Native.clientConnect("{\"url\":\"ws://x/\",\"headers\":[[\"odd\"]]}"));
            assertThrows(IllegalArgumentException.class, () -> Native.clientConnect("{\"url\":\"ws://x/\",\"no_such_option\":1}"));
        } finally {
            Native.clientCancel(h);
            Native.clientFree(h);
        }
    }

    @Test
    void aPanicInNativeCodeBecomesAnExceptionAndTheJvmGoesOn() throws Exception {
        IllegalStateException e = assertThrows(IllegalStateException.class, Native::panicForTest);
        assertTrue(e.getMessage().contains("panic"), e.getMessage());
        // Still fully usable afterwards.
        try (Hub hub = TestHubs.echoHub()) {
            Recorder r = new Recorder();
            WebSocket ws = client.newWebSocket(TestHubs.url(hub, "/echo"), r);
            r.await("open");
            ws.send("alive");
            r.await("text:alive");
            ws.close(1000, null);
            r.awaitEnd();
        }
    }

    @Test
    void badUrlsAndOptionsAreRefusedAtOnce() {
        assertThrows(IllegalArgumentException.class, () -> client.newWebSocket("ftp://127.0.0.1/", new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> client.newWebSocket("not a url", new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> new OmnisockClient.Builder().header("bad header", "v").build()
                .newWebSocket("ws://127.0.0.1:1/", new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> new OmnisockClient.Builder().subprotocols("a b").build()
                .newWebSocket("ws://127.0.0.1:1/", new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> new OmnisockClient.Builder().extraCaPem("not a pem").build()
                .newWebSocket("wss://127.0.0.1:1/", new Recorder()));
        // Option values are checked by the core, when connecting.
        assertThrows(IllegalArgumentException.class, () -> new OmnisockClient.Builder().sendQueueLimit(0).build()
                .newWebSocket("ws://127.0.0.1:1/", new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> new OmnisockClient.Builder().reconnect(-1).build()
                .newWebSocket("ws://127.0.0.1:1/", new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> new OmnisockClient.Builder().connectTimeout(0, TimeUnit.SECONDS).build()
                .newWebSocket("ws://127.0.0.1:1/", new Recorder()));
        assertThrows(NullPointerException.class, () -> client.newWebSocket("ws://127.0.0.1:1/", null));
    }

    @Test
    void closedClientRefusesNewSocketsAndClosesItsOpenOnes() throws Exception {
        try (Hub hub = TestHubs.echoHub()) {
            OmnisockClient c = new OmnisockClient();
            Recorder r = new Recorder();
            c.newWebSocket(TestHubs.url(hub, "/echo"), r);
            r.await("open");
            c.close();
            r.awaitEnd();
            assertTrue(r.snapshot().contains("closed:1001:client closed"), r.snapshot().toString());
            assertThrows(IllegalStateException.class, () -> c.newWebSocket(TestHubs.url(hub, "/echo"), new Recorder()));
        }
    }

    @Test
    void hubUsedAfterCloseThrowsIllegalStateException() throws Exception {
        Hub hub = TestHubs.echoHub();
        int port = hub.port();
        hub.close();
        hub.close(); // idempotent
        assertThrows(IllegalStateException.class, hub::connectionCount);
        assertThrows(IllegalStateException.class, () -> hub.send(1, "x"));
        assertThrows(IllegalStateException.class, () -> hub.publish("g", "x", 0));
        assertThrows(IllegalStateException.class, hub::statusJson);
        assertThrows(IllegalStateException.class, hub::port);
        // The listening socket closes as the hub's accept task ends (asynchronously): wait for it.
        boolean refused = false;
        for (int i = 0; i < 100 && !refused; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                Thread.sleep(50);
            } catch (IOException e) {
                refused = true;
            }
        }
        assertTrue(refused, "the port is closed after close()");
    }

    @Test
    void hubConfigurationErrorsAreClear() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hub.builder().route("no-slash", Hub.RouteKind.ECHO).start());
        assertTrue(e.getMessage().contains("no-slash"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Hub.start("bogus = 1", null, null));
        assertThrows(IllegalArgumentException.class, () -> Hub.builder().listen("nonsense").start());
        try (Hub hub = TestHubs.echoHub()) {
            OmnisockException bind = assertThrows(OmnisockException.class,
                    () -> Hub.builder().listen("127.0.0.1:" + hub.port()).route("/e", Hub.RouteKind.ECHO).start());
            assertEquals(Errors.IO, bind.code());
            assertThrows(NoSuchElementException.class, () -> hub.broadcast("/nope", "x", 0));
            assertFalse(hub.send(424242, "nobody"), "unknown connection");
            assertFalse(hub.close(424242, 1000, ""));
            assertEquals(-1, hub.queuedBytes(424242));
        }
    }

    @Test
    void fullSendQueueRefusesWithoutClosing() throws Exception {
        try (SilentServer s = new SilentServer(true)) {
            OmnisockClient c = new OmnisockClient.Builder().sendQueueLimit(256 * 1024).pingInterval(0, java.util.concurrent.TimeUnit.SECONDS).build();
            Recorder r = new Recorder();
            WebSocket ws = c.newWebSocket("ws://127.0.0.1:" + s.port() + "/", r);
            r.await("open");
            byte[] chunk = new byte[64 * 1024];
            int accepted = 0;
            boolean refused = false;
            for (int i = 0; i < 10_000 && !refused; i++) {
                if (ws.send(chunk)) {
                    accepted++;
                } else {
                    refused = true;
                }
            }
            assertTrue(refused, "a peer that never reads fills the queue");
            assertTrue(accepted > 0);
            assertTrue(ws.queueSize() > 0, "bytes wait in the queue");
            assertEquals(1, r.snapshot().size(), "still open, no close: " + r.snapshot());
            ws.cancel();
            r.awaitEnd();
        }
    }

    @Test
    void hubWithoutReferencesIsFreedByTheCleaner() throws Exception {
        int port = startAndForget();
        boolean closed = false;
        for (int i = 0; i < 100 && !closed; i++) {
            System.gc();
            Thread.sleep(50);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            } catch (IOException refused) {
                closed = true;
            }
        }
        assertTrue(closed, "an unreachable Hub is shut down and freed");
    }

    private static int startAndForget() throws IOException {
        return TestHubs.echoHub().port();
    }
}
