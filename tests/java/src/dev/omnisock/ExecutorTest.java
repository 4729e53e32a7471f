package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Callbacks run where the app asks, one at a time, in order; a throwing listener does not stop delivery. */
class ExecutorTest {
    static Hub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHubs.echoHub();
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    @Test
    void defaultRunsCallbacksOnTheSocketsDispatcherThread() throws Exception {
        Recorder r = new Recorder();
        WebSocket ws = new OmnisockClient().newWebSocket(TestHubs.url(hub, "/echo"), r);
        r.await("open");
        ws.send("x");
        r.await("text:x");
        ws.close(1000, null);
        r.awaitEnd();
        Set<String> threads = new HashSet<String>(r.threads);
        assertEquals(1, threads.size(), threads.toString());
        assertTrue(threads.iterator().next().startsWith("omnisock-ws-"), threads.toString());
    }

    @Test
    void callbacksRunOnTheGivenExecutor() throws Exception {
        ExecutorService main = Executors.newSingleThreadExecutor(run -> new Thread(run, "fake-main-thread"));
        try {
            OmnisockClient c = new OmnisockClient.Builder().callbackExecutor(main).build();
            Recorder r = new Recorder();
            WebSocket ws = c.newWebSocket(TestHubs.url(hub, "/echo"), r);
            r.await("open");
            for (int i = 0; i < 200; i++) {
                ws.send("m" + i);
            }
            r.awaitCount("text:", 200);
            ws.close(1000, "bye");
            r.awaitEnd();
            for (String t : r.threads) {
                assertEquals("fake-main-thread", t);
            }
            List<String> ev = r.snapshot();
            for (int i = 0; i < 200; i++) {
                assertEquals("text:m" + i, ev.get(1 + i));
            }
        } finally {
            main.shutdownNow();
        }
    }

    @Test
    void aThreadPoolStillGetsOrderedNonOverlappingCallbacks() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            final AtomicInteger inside = new AtomicInteger();
            final AtomicInteger overlaps = new AtomicInteger();
            Recorder r = new Recorder() {
                @Override
                public void onMessage(WebSocket ws, String text) {
                    if (inside.incrementAndGet() > 1) {
                        overlaps.incrementAndGet();
                    }
                    Thread.yield();
                    super.onMessage(ws, text);
                    inside.decrementAndGet();
                }
            };
            OmnisockClient c = new OmnisockClient.Builder().callbackExecutor(pool).maxEventBatch(3).build();
            WebSocket ws = c.newWebSocket(TestHubs.url(hub, "/echo"), r);
            r.await("open");
            for (int i = 0; i < 300; i++) {
                ws.send("p" + i);
            }
            r.awaitCount("text:", 300);
            List<String> ev = r.snapshot();
            for (int i = 0; i < 300; i++) {
                assertEquals("text:p" + i, ev.get(1 + i));
            }
            assertEquals(0, overlaps.get());
            ws.close(1000, null);
            r.awaitEnd();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aThrowingListenerDoesNotStopDeliveryForItselfOrOthers() throws Exception {
        java.util.logging.Logger.getLogger("dev.omnisock").setLevel(java.util.logging.Level.OFF);
        try {
            OmnisockClient c = new OmnisockClient();
            Recorder thrower = new Recorder() {
                @Override
                public void onMessage(WebSocket ws, String text) {
                    super.onMessage(ws, text);
                    if (text.startsWith("boom")) {
                        throw new IllegalStateException("listener bug");
                    }
                }
            };
            Recorder other = new Recorder();
            WebSocket a = c.newWebSocket(TestHubs.url(hub, "/chat"), thrower);
            WebSocket b = c.newWebSocket(TestHubs.url(hub, "/chat"), other);
            thrower.await("open");
            other.await("open");
            a.send("boom1");
            a.send("boom2");
            a.send("fine");
            thrower.await("text:fine");
            other.await("text:fine");
            assertEquals(3, thrower.count("text:"));
            assertEquals(3, other.count("text:"));
            a.close(1000, null);
            b.close(1000, null);
            thrower.awaitEnd();
            other.awaitEnd();
            assertEquals("closed:1000:", thrower.snapshot().get(thrower.snapshot().size() - 1));
        } finally {
            java.util.logging.Logger.getLogger("dev.omnisock").setLevel(null);
        }
    }

    @Test
    void aBlockedExecutorLosesNothingAndKeepsOrder() throws Exception {
        ExecutorService slow = Executors.newSingleThreadExecutor();
        try {
            final java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
            Recorder r = new Recorder() {
                @Override
                public void onMessage(WebSocket ws, String text) {
                    try {
                        gate.await(Recorder.WAIT_S, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    super.onMessage(ws, text);
                }
            };
            OmnisockClient c = new OmnisockClient.Builder().callbackExecutor(slow).maxEventBatch(1).build();
            WebSocket ws = c.newWebSocket(TestHubs.url(hub, "/echo"), r);
            r.await("open");
            for (int i = 0; i < 100; i++) {
                ws.send("s" + i);
            }
            gate.countDown();
            r.awaitCount("text:", 100);
            List<String> ev = r.snapshot();
            for (int i = 0; i < 100; i++) {
                assertEquals("text:s" + i, ev.get(1 + i));
            }
            ws.close(1000, null);
            r.awaitEnd();
        } finally {
            slow.shutdownNow();
        }
    }
}
