package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** onFailure: refused, TLS, handshake refused, timeouts, cancel; nothing after it. */
class FailureTest {
    static final OmnisockClient client = new OmnisockClient.Builder().connectTimeout(10, TimeUnit.SECONDS).build();

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void refusedConnectionFailsWithConnectFailedAndNothingAfter() throws Exception {
        Recorder r = new Recorder();
        WebSocket ws = client.newWebSocket("ws://127.0.0.1:" + freePort() + "/x", r);
        r.awaitEnd();
        Recorder.awaitDispatcherExit(ws);
        assertEquals(1, r.snapshot().size(), "only onFailure: " + r.snapshot());
        assertTrue(r.failure instanceof OmnisockException.ConnectFailed, "got " + r.failure);
        assertTrue(r.failure instanceof java.io.IOException);
        assertEquals(null, r.failureResponse, "no HTTP answer, no response");
        assertFalse(ws.send("late"), "send after onFailure is refused");
        assertFalse(ws.close(1000, null));
        ws.cancel(); // no-op
        assertEquals(1, r.snapshot().size());
    }

    @Test
    void handshakeRefusedByHttpStatusIsAConnectFailure() throws Exception {
        try (Hub hub = TestHubs.echoHub()) {
            Recorder r = new Recorder();
            client.newWebSocket(TestHubs.url(hub, "/no-such-route"), r);
            r.awaitEnd();
            assertTrue(r.failure instanceof OmnisockException.HandshakeRejected, "got " + r.snapshot());
            assertTrue(r.failure instanceof OmnisockException.ConnectFailed);
            assertEquals(Errors.HANDSHAKE_REJECTED, ((OmnisockException) r.failure).code());
            assertTrue(r.failure.getMessage().contains("404"), r.failure.getMessage());
            assertEquals(404, r.failureResponse.code(), "OkHttp-style: the refusing response goes to onFailure");
            assertFalse(r.failureResponse.isSuccessful());
        }
    }

    @Test
    void untrustedCertificateFailsWithTlsErrorAndTrustedOneWorks() throws Exception {
        File cert = TestHubs.required("omnisock.test.cert");
        File key = TestHubs.required("omnisock.test.key");
        try (Hub hub = Hub.builder().route("/echo", Hub.RouteKind.ECHO).tls(cert.getPath(), key.getPath()).start()) {
            String url = "wss://localhost:" + hub.port() + "/echo";
            Recorder bad = new Recorder();
            client.newWebSocket(url, bad);
            bad.awaitEnd();
            assertTrue(bad.failure instanceof OmnisockException.Tls, "got " + bad.snapshot());

            OmnisockClient trusting = new OmnisockClient.Builder().extraCaPem(Files.readAllBytes(cert.toPath())).build();
            Recorder good = new Recorder();
            WebSocket ws = trusting.newWebSocket(url, good);
            good.await("open");
            assertTrue(ws.send("over tls"));
            good.await("text:over tls");
            ws.close(1000, "bye");
            good.awaitEnd();
            assertEquals("closed:1000:bye", good.snapshot().get(good.snapshot().size() - 1));
        }
    }

    @Test
    void plainServerBehindWssIsATlsFailure() throws Exception {
        try (Hub hub = TestHubs.echoHub()) {
            Recorder r = new Recorder();
            client.newWebSocket("wss://127.0.0.1:" + hub.port() + "/echo", r);
            r.awaitEnd();
            assertTrue(r.failure instanceof OmnisockException.Tls, "got " + r.snapshot());
        }
    }

    @Test
    void serverThatNeverAnswersTimesOut() throws Exception {
        try (SilentServer s = new SilentServer(false)) {
            OmnisockClient c = new OmnisockClient.Builder().connectTimeout(300, TimeUnit.MILLISECONDS).build();
            Recorder r = new Recorder();
            c.newWebSocket("ws://127.0.0.1:" + s.port() + "/", r);
            r.awaitEnd();
            assertTrue(r.failure instanceof OmnisockException.Timeout, "got " + r.snapshot());
        }
    }

    @Test
    void deadPeerIsFoundByTheKeepalive() throws Exception {
        try (SilentServer s = new SilentServer(true)) {
            OmnisockClient c = new OmnisockClient.Builder()
                    .pingInterval(100, TimeUnit.MILLISECONDS)
                    .pongTimeout(200, TimeUnit.MILLISECONDS)
                    .build();
            Recorder r = new Recorder();
            c.newWebSocket("ws://127.0.0.1:" + s.port() + "/", r);
            r.awaitEnd();
            assertEquals("open", r.snapshot().get(0));
            assertTrue(r.failure instanceof OmnisockException.Timeout, "got " + r.snapshot());
        }
    }

    @Test
    void cancelFailsTheSocketOnceAndDropsIt() throws Exception {
        try (Hub hub = TestHubs.echoHub()) {
            Recorder r = new Recorder();
            WebSocket ws = client.newWebSocket(TestHubs.url(hub, "/echo"), r);
            r.await("open");
            ws.cancel();
            ws.cancel();
            r.awaitEnd();
            Recorder.awaitDispatcherExit(ws);
            assertEquals(Arrays.asList("open", "failure:ConnectionClosed:aborted by the host"), r.snapshot());
            assertFalse(ws.send("x"));
        }
    }

    @Test
    void closeWhileConnectingSendsWhatWasQueuedThenCloses() throws Exception {
        final java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<String>();
        try (Hub hub = Hub.builder().route("/h", Hub.RouteKind.HOST).listener(new HubListener() {
            @Override
            public void onMessage(Hub h, long conn, String text) {
                got.add(text);
            }
        }).start()) {
            Recorder r = new Recorder();
            WebSocket ws = client.newWebSocket(TestHubs.url(hub, "/h"), r);
            assertTrue(ws.send("early"), "send before open is queued");
            assertTrue(ws.close(1000, "bye"));
            assertFalse(ws.send("too late"));
            r.awaitEnd();
            assertEquals(Arrays.asList("open", "closing:1000:bye", "closed:1000:bye"), r.snapshot());
            assertEquals("early", got.poll(Recorder.WAIT_S, TimeUnit.SECONDS));
            assertEquals(null, got.poll(200, TimeUnit.MILLISECONDS));
        }
    }
}
