package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A listener that records every callback as a line ("open", "text:hi", "binary:0102",
 * "closing:1000:bye", "closed:1000:bye", "failure:ConnectFailed:...", "reconnecting:1") with
 * the thread it ran on, and lets a test wait (bounded) for a line.
 */
public class Recorder extends WebSocketListener {
    public static final long WAIT_S = 20;

    public final List<String> events = new ArrayList<String>();
    public final List<String> threads = new ArrayList<String>();
    public final List<byte[]> binaries = new ArrayList<byte[]>();
    public final CountDownLatch ended = new CountDownLatch(1);
    public volatile Throwable failure;
    public volatile Response failureResponse;
    public volatile WebSocket socket;

    protected synchronized void add(String e) {
        events.add(e);
        threads.add(Thread.currentThread().getName());
        notifyAll();
    }

    @Override public void onOpen(WebSocket ws, Response r) { socket = ws; add("open"); }
    @Override public void onMessage(WebSocket ws, String text) { add("text:" + text); }
    @Override public void onMessage(WebSocket ws, byte[] bytes) {
        synchronized (this) { binaries.add(bytes); }
        add("binary:" + ByteString.of(bytes).hex());
    }
    @Override public void onClosing(WebSocket ws, int code, String reason) { add("closing:" + code + ":" + reason); }
    @Override public void onClosed(WebSocket ws, int code, String reason) { add("closed:" + code + ":" + reason); ended.countDown(); }
    @Override public void onFailure(WebSocket ws, Throwable t, Response r) {
        failure = t;
        failureResponse = r;
        add("failure:" + t.getClass().getSimpleName() + ":" + t.getMessage());
        ended.countDown();
    }
    @Override public void onReconnecting(WebSocket ws, int attempt, long delayMillis, String reason) { add("reconnecting:" + attempt); }

    public synchronized List<String> snapshot() {
        return new ArrayList<String>(events);
    }

    public synchronized int count(String prefix) {
        int n = 0;
        for (String e : events) {
            if (e.startsWith(prefix)) {
                n++;
            }
        }
        return n;
    }

    /** Waits (at most WAIT_S) until {@code n} events start with {@code prefix}. */
    public synchronized void awaitCount(String prefix, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (count(prefix) < n) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                fail("timed out waiting for " + n + " x '" + prefix + "'; got " + events);
            }
            wait(left);
        }
    }

    public void await(String prefix) throws InterruptedException {
        awaitCount(prefix, 1);
    }

    /** Waits for onClosed/onFailure. */
    public void awaitEnd() throws InterruptedException {
        assertTrue(ended.await(WAIT_S, TimeUnit.SECONDS), "no onClosed/onFailure; got " + snapshot());
    }

    /** Waits until the socket's dispatcher thread has ended: after that nothing can be delivered. */
    public static void awaitDispatcherExit(WebSocket ws) throws InterruptedException {
        Thread t = ((RealWebSocket) ws).dispatcherThread();
        t.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        assertTrue(!t.isAlive(), "dispatcher thread still running");
    }
}
