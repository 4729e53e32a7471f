package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import okhttp3.OkHttpClient;
import okio.ByteString;

/**
 * The real OkHttp 3.13 (Debian's libokhttp-java) against our hubs, and our Java client against a
 * hub route driven by a C host program through the C ABI.
 */
class InteropTest {
    static final OkHttpClient okhttp = new OkHttpClient();

    @AfterAll
    static void stopOkHttp() {
        okhttp.dispatcher().executorService().shutdown();
        okhttp.connectionPool().evictAll();
    }

    /** An OkHttp listener that records lines like {@link Recorder}. */
    static final class OkRecorder extends okhttp3.WebSocketListener {
        final List<String> events = new ArrayList<String>();
        final CountDownLatch opened = new CountDownLatch(1);
        final CountDownLatch ended = new CountDownLatch(1);

        synchronized List<String> snapshot() { return new ArrayList<String>(events); }
        private synchronized void add(String s) { events.add(s); notifyAll(); }

        synchronized void awaitCount(String prefix, int n) throws InterruptedException {
            long deadline = System.currentTimeMillis() + Recorder.WAIT_S * 1000;
            while (events.stream().filter(e -> e.startsWith(prefix)).count() < n) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError("timed out waiting for " + n + " x " + prefix + ": " + events);
                }
                wait(left);
            }
        }

        @Override public void onOpen(okhttp3.WebSocket ws, okhttp3.Response r) { add("open"); opened.countDown(); }
        @Override public void onMessage(okhttp3.WebSocket ws, String text) { add("text:" + text); }
        @Override public void onMessage(okhttp3.WebSocket ws, ByteString bytes) { add("binary:" + bytes.hex()); }
        @Override public void onClosing(okhttp3.WebSocket ws, int code, String reason) {
            add("closing:" + code + ":" + reason);
            ws.close(code, reason); // OkHttp needs this to finish the handshake
        }
        @Override public void onClosed(okhttp3.WebSocket ws, int code, String reason) { add("closed:" + code + ":" + reason); ended.countDown(); }
        @Override public void onFailure(okhttp3.WebSocket ws, Throwable t, okhttp3.Response r) { add("failure:" + t); ended.countDown(); }
    }

    @Test
    void okHttpClientTalksToOurHub() throws Exception {
        try (Hub hub = TestHubs.echoHub()) {
            OkRecorder r = new OkRecorder();
            okhttp3.WebSocket ws = okhttp.newWebSocket(new okhttp3.Request.Builder().url(TestHubs.url(hub, "/echo")).build(), r);
            assertTrue(r.opened.await(Recorder.WAIT_S, TimeUnit.SECONDS), r.snapshot().toString());
            assertTrue(ws.send("from okhttp ✓"));
            assertTrue(ws.send(ByteString.of((byte) 1, (byte) 2)));
            r.awaitCount("binary:", 1);
            assertTrue(ws.close(1000, "ok bye"));
            assertTrue(r.ended.await(Recorder.WAIT_S, TimeUnit.SECONDS), r.snapshot().toString());
            assertEquals(Arrays.asList("open", "text:from okhttp ✓", "binary:0102", "closing:1000:ok bye", "closed:1000:ok bye"), r.snapshot());
        }
    }

    @Test
    void okHttpAndOmnisockShareTheCliHubsRelay() throws Exception {
        try (TestHubs.CliHub cli = new TestHubs.CliHub()) {
            OkRecorder ok = new OkRecorder();
            okhttp3.WebSocket okws = okhttp.newWebSocket(new okhttp3.Request.Builder().url(cli.url("/ws/camera")).build(), ok);
            assertTrue(ok.opened.await(Recorder.WAIT_S, TimeUnit.SECONDS));
            Recorder ours = new Recorder();
            WebSocket ws = new OmnisockClient().newWebSocket(cli.url("/ws/camera"), ours);
            ours.await("open");
            for (int i = 0; i < 20; i++) {
                assertTrue(ws.send("{\"i\":" + i + "}"));
            }
            ok.awaitCount("text:", 20);
            assertTrue(okws.send("back from okhttp"));
            ours.await("text:back from okhttp");
            List<String> got = ok.snapshot();
            for (int i = 0; i < 20; i++) {
                assertEquals("text:{\"i\":" + i + "}", got.get(1 + i));
            }
            assertEquals(1, ours.count("text:"), "relay does not echo to the sender");
            ws.close(1000, null);
            okws.close(1000, null);
            ours.awaitEnd();
            assertTrue(ok.ended.await(Recorder.WAIT_S, TimeUnit.SECONDS));
        }
    }

    @Test
    void ourClientAgainstAHubRouteDrivenByACHost() throws Exception {
        File bin = TestHubs.required("omnisock.test.chost");
        Process p = new ProcessBuilder(bin.getPath()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("PORT "), "C host said: " + line);
            int port = Integer.parseInt(line.substring(5).trim());
            Recorder r = new Recorder();
            WebSocket ws = new OmnisockClient().newWebSocket("ws://127.0.0.1:" + port + "/rpc", r);
            r.await("text:hello from C");
            assertTrue(ws.send("shout this"));
            r.await("text:C:SHOUT THIS");
            assertTrue(ws.send(new byte[] {1, 2, 3}));
            r.await("binary:030201");
            assertTrue(ws.send("bye"));
            r.awaitEnd();
            assertEquals(Arrays.asList("open", "text:hello from C", "text:C:SHOUT THIS", "binary:030201",
                    "closing:4000:bye from C", "closed:4000:bye from C"), r.snapshot());
        } finally {
            p.getOutputStream().close(); // the host exits when stdin closes
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertEquals(0, p.exitValue());
    }
}
