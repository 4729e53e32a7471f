package dev.omnisock;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@link WebSocket} implementation. A dispatcher thread owned by this socket blocks in the
 * native poll (wait + batch poll, one JNI call per batch) and either calls the listener itself
 * (no executor) or hands each batch, in order, to the callback executor. Core threads never
 * call into Java.
 */
final class RealWebSocket implements WebSocket, Runnable {
    static final Logger LOG = Logger.getLogger("dev.omnisock");
    private static final AtomicInteger SEQ = new AtomicInteger();
    /** Longest single native wait; the loop ends with the terminal event, so this only bounds each call. */
    private static final int WAIT_MS = 10_000;
    /** Batches handed to the callback executor and not yet run; beyond it the dispatcher stops draining (back-pressure). */
    private static final int MAX_BATCHES_IN_FLIGHT = 4;

    private final OmnisockClient client;
    private final Request request;
    private final WebSocketListener listener;
    private final Executor executor;
    private final Semaphore inFlight = new Semaphore(MAX_BATCHES_IN_FLIGHT);
    private final Thread thread;
    private volatile long handle;

    // Delivery state: touched only by the delivering thread (one at a time, in order).
    private Throwable lastError;
    private int lastErrorCode;
    private Response refusal;
    private boolean finished;

    RealWebSocket(OmnisockClient client, Request request, WebSocketListener listener, long handle) {
        this.client = client;
        this.request = request;
        this.listener = listener;
        this.handle = handle;
        this.executor = client.callbackExecutor == null ? null : new SerialExecutor(client.callbackExecutor);
        this.thread = new Thread(this, "omnisock-ws-" + SEQ.incrementAndGet());
        // Not a daemon: an open socket keeps the JVM alive, as OkHttp's threads do. The thread
        // ends with the socket's last event, so a closed socket holds nothing.
        this.thread.setDaemon(false);
    }

    void start() {
        thread.start();
    }

    /** The dispatcher thread (for tests). */
    Thread dispatcherThread() {
        return thread;
    }

    @Override public Request request() { return request; }

    @Override public String url() { return request.url(); }

    @Override
    public long queueSize() {
        long h = handle;
        if (h == 0) {
            return 0;
        }
        try {
            return Native.clientQueuedBytes(h);
        } catch (IllegalStateException freed) {
            return 0;
        }
    }

    @Override
    public boolean send(String text) {
        if (text == null) {
            throw new NullPointerException("text == null");
        }
        long h = handle;
        if (h == 0) {
            return false;
        }
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return Native.clientSendText(h, b, 0, b.length) == 0;
    }

    @Override
    public boolean send(byte[] bytes) {
        if (bytes == null) {
            throw new NullPointerException("bytes == null");
        }
        long h = handle;
        return h != 0 && Native.clientSendBinary(h, bytes, 0, bytes.length) == 0;
    }

    @Override
    public boolean send(ByteString bytes) {
        return send(bytes.internalArray());
    }

    @Override
    public boolean send(ByteBuffer buffer) {
        long h = handle;
        if (h == 0) {
            return false;
        }
        int pos = buffer.position();
        int len = buffer.remaining();
        if (buffer.isDirect()) {
            return Native.clientSendDirect(h, buffer, pos, len) == 0;
        }
        if (buffer.hasArray()) {
            return Native.clientSendBinary(h, buffer.array(), buffer.arrayOffset() + pos, len) == 0;
        }
        byte[] copy = new byte[len];
        buffer.duplicate().get(copy);
        return Native.clientSendBinary(h, copy, 0, len) == 0;
    }

    @Override
    public boolean close(int code, String reason) {
        long h = handle;
        return h != 0 && Native.clientClose(h, code, reason) == 0;
    }

    @Override
    public void close() {
        close(1000, null);
    }

    @Override
    public void cancel() {
        long h = handle;
        if (h != 0) {
            Native.clientCancel(h);
        }
    }

    @Override
    public String toString() {
        return "WebSocket{url=" + request.url() + "}";
    }

    // ---- dispatcher thread ----

    @Override
    public void run() {
        EventBatch batch = new EventBatch(client.maxBatch);
        boolean terminal = false;
        try {
            while (!terminal) {
                long h = handle;
                int n;
                try {
                    n = Native.clientPoll(h, WAIT_MS, batch.meta, batch.objs);
                } catch (IllegalStateException freed) {
                    break;
                }
                if (n == 0) {
                    continue;
                }
                batch.count = n;
                terminal = EventBatch.containsKind(batch, EventBatch.CLOSE);
                if (executor == null) {
                    deliver(batch);
                } else {
                    post(batch.copy());
                }
                batch.clear();
            }
        } catch (Throwable t) {
            LOG.log(Level.SEVERE, "omnisock dispatcher stopped unexpectedly", t);
        } finally {
            long h = handle;
            handle = 0;
            Native.clientFree(h);
            client.ended(this);
        }
    }

    private void post(final EventBatch b) throws InterruptedException {
        inFlight.acquire();
        try {
            executor.execute(new Runnable() {
                @Override
                public void run() {
                    try {
                        deliver(b);
                    } finally {
                        inFlight.release();
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.release();
            LOG.log(Level.WARNING, "callback executor rejected omnisock events; canceling " + request.url(), e);
            cancel();
        }
    }

    /** Runs the listener for a batch, in order; keeps OkHttp's guarantees. */
    private void deliver(EventBatch b) {
        for (int i = 0; i < b.count && !finished; i++) {
            try {
                deliverOne(b, i);
            } catch (Throwable t) {
                LOG.log(Level.WARNING, "WebSocketListener threw; delivery continues", t);
            }
        }
    }

    private void deliverOne(EventBatch b, int i) {
        switch (b.kind(i)) {
            case EventBatch.OPEN: {
                String[] info = (String[]) b.obj(i);
                List<String[]> headers = new ArrayList<String[]>();
                for (int k = 4; k + 1 < info.length; k += 2) {
                    headers.add(new String[] {info[k], info[k + 1]});
                }
                lastError = null;
                refusal = null;
                listener.onOpen(this, new Response(request, headers, info[3], info[2]));
                break;
            }
            case EventBatch.TEXT:
                listener.onMessage(this, new String((byte[]) b.obj(i), StandardCharsets.UTF_8));
                break;
            case EventBatch.BINARY:
                listener.onMessage(this, (byte[]) b.obj(i));
                break;
            case EventBatch.ERROR:
                lastErrorCode = (int) b.a(i);
                lastError = Errors.toThrowable(lastErrorCode, (String) b.obj(i));
                break;
            case EventBatch.REJECTED: {
                Object[] pair = (Object[]) b.obj(i);
                String[] h = (String[]) pair[0];
                List<String[]> headers = new ArrayList<String[]>();
                for (int k = 0; k + 1 < h.length; k += 2) {
                    headers.add(new String[] {h[k], h[k + 1]});
                }
                refusal = new Response(request, (int) b.a(i), headers, null, null, (byte[]) pair[1]);
                break;
            }
            case EventBatch.RECONNECTING:
                lastError = null;
                refusal = null;
                listener.onReconnecting(this, (int) b.a(i), b.b(i), (String) b.obj(i));
                break;
            case EventBatch.CLOSE: {
                finished = true;
                int code = (int) b.a(i);
                boolean clean = b.b(i) != 0;
                String reason = (String) b.obj(i);
                if (clean) {
                    try {
                        listener.onClosing(this, code, reason);
                    } finally {
                        listener.onClosed(this, code, reason);
                    }
                } else if (lastError == null && code != 1005 && code != 1006) {
                    // Closed before it opened (close() while connecting), or the peer's close
                    // frame came but the TCP close did not finish in time: still a close.
                    listener.onClosed(this, code, reason);
                } else {
                    Throwable t;
                    if (lastError == null) {
                        t = new OmnisockException.ConnectionClosed(reason);
                    } else if (reason.isEmpty() || reason.equals(lastError.getMessage())) {
                        t = lastError;
                    } else {
                        // e.g. "gave up reconnecting after 3 attempts; last error: ..."
                        t = Errors.toThrowable(lastErrorCode, reason);
                        t.initCause(lastError);
                    }
                    listener.onFailure(this, t, refusal);
                }
                break;
            }
            default:
                break;
        }
    }
}
