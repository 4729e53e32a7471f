package dev.omnisock;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

/**
 * A WebSocket hub served by the omnisock core inside this process: routes by path
 * ({@code echo}, {@code broadcast}, {@code relay}, {@code host}), groups, bounded per-connection
 * queues, status at {@code /_omnisock/status}.
 *
 * <pre>{@code
 * try (Hub hub = Hub.builder().listen("127.0.0.1:0")
 *         .route("/ws/camera", Hub.RouteKind.RELAY)
 *         .route("/rpc", Hub.RouteKind.HOST)
 *         .listener(new HubListener() {
 *             public void onMessage(Hub h, long conn, String text) { h.send(conn, "got " + text); }
 *         })
 *         .start()) {
 *     int port = hub.port();
 * }
 * }</pre>
 *
 * Events of {@code host} routes go to the {@link HubListener}, drained by a dispatcher thread
 * of this hub; give a listener whenever the hub has host routes. Methods are thread-safe.
 * After {@link #close()} every method throws {@link IllegalStateException}.
 */
public final class Hub implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final int WAIT_MS = 200;
    private static final int MAX_BATCHES_IN_FLIGHT = 4;

    /** What a route does with incoming messages. */
    public enum RouteKind { ECHO, BROADCAST, RELAY, HOST }

    /** What happens when a connection's outbound queue is full. */
    public enum Overflow { CLOSE, DROP_OLDEST, DROP_NEWEST }

    private final long handle;
    private final HubListener listener;
    private final Executor executor;
    private final Semaphore inFlight = new Semaphore(MAX_BATCHES_IN_FLIGHT);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final NativeCleaner.Cleanable cleanable;
    private final Thread dispatcher;
    private final InetSocketAddress address;
    private volatile boolean stopping;

    private Hub(long handle, HubListener listener, Executor executor) {
        this.handle = handle;
        this.listener = listener;
        this.executor = executor == null ? null : new SerialExecutor(executor);
        this.cleanable = NativeCleaner.register(this, new Free(handle));
        String addr = Native.hubLocalAddress(handle);
        int colon = addr.lastIndexOf(':');
        String host = addr.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        this.address = new InetSocketAddress(host, Integer.parseInt(addr.substring(colon + 1)));
        if (listener != null) {
            dispatcher = new Thread(new Runnable() {
                @Override
                public void run() {
                    dispatch();
                }
            }, "omnisock-hub-" + SEQ.incrementAndGet());
            dispatcher.setDaemon(true);
            dispatcher.start();
        } else {
            dispatcher = null;
        }
    }

    /** Frees the native hub; holds only the handle, never the Hub. */
    private static final class Free implements Runnable {
        private final long handle;
        Free(long handle) { this.handle = handle; }
        @Override public void run() { Native.hubFree(handle); }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a hub from a configuration in the TOML form of the README ({@code listen},
     * {@code [[route]]}, limits, TLS, ...).
     *
     * @throws IllegalArgumentException for a bad configuration
     * @throws OmnisockException if the address cannot be bound
     */
    public static Hub start(String toml, HubListener listener, Executor callbackExecutor) throws IOException {
        // Native code throws OmnisockException (an IOException) when binding fails.
        long h = startNative(toml);
        return new Hub(h, listener, callbackExecutor);
    }

    private static long startNative(String toml) throws IOException {
        return Native.hubStart(toml);
    }

    private long h() {
        if (closed.get()) {
            throw new IllegalStateException("this Hub is closed");
        }
        return handle;
    }

    private static byte[] utf8(String s) {
        if (s == null) {
            throw new NullPointerException("text == null");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] nonNull(byte[] b) {
        if (b == null) {
            throw new NullPointerException("bytes == null");
        }
        return b;
    }

    /** The address the hub listens on (with the real port when the config said 0). */
    public InetSocketAddress localAddress() { h(); return address; }

    public int port() { return localAddress().getPort(); }

    /** Queues a text message to one connection; false if it is unknown, closing, or its queue dropped the message. */
    public boolean send(long conn, String text) { return Native.hubSend(h(), conn, utf8(text), true) == 0; }

    /** Queues a binary message to one connection; false like {@link #send(long, String)}. */
    public boolean send(long conn, byte[] bytes) { return Native.hubSend(h(), conn, nonNull(bytes), false) == 0; }

    /** Queues one text message (encoded once, shared) to each of {@code conns}; returns how many took it. */
    public int sendMany(long[] conns, String text) { return Native.hubSendMany(h(), conns, utf8(text), true); }

    /** Binary form of {@link #sendMany(long[], String)}. */
    public int sendMany(long[] conns, byte[] bytes) { return Native.hubSendMany(h(), conns, nonNull(bytes), false); }

    /** Closes one connection after its queued messages; false if unknown or already closing. */
    public boolean close(long conn, int code, String reason) { return Native.hubClose(h(), conn, code, reason) == 0; }

    /** Adds a connection to a group (idempotent); false if the connection is unknown. */
    public boolean join(long conn, String group) { return Native.hubJoin(h(), conn, group) == 0; }

    /** Removes a connection from a group; true if it was a member. */
    public boolean leave(long conn, String group) { return Native.hubLeave(h(), conn, group) == 1; }

    /** Sends to every member of {@code group} but {@code exceptConn} (0 = nobody); returns the local recipients. */
    public int publish(String group, String text, long exceptConn) { return Native.hubPublish(h(), group, utf8(text), true, exceptConn); }

    /** Binary form of {@link #publish(String, String, long)}. */
    public int publish(String group, byte[] bytes, long exceptConn) { return Native.hubPublish(h(), group, nonNull(bytes), false, exceptConn); }

    /**
     * Sends to every connection of the route at {@code path} but {@code exceptConn} (0 = nobody).
     *
     * @throws NoSuchElementException if there is no such route
     */
    public int broadcast(String path, String text, long exceptConn) { return Native.hubBroadcast(h(), path, utf8(text), true, exceptConn); }

    /** Binary form of {@link #broadcast(String, String, long)}. */
    public int broadcast(String path, byte[] bytes, long exceptConn) { return Native.hubBroadcast(h(), path, nonNull(bytes), false, exceptConn); }

    /** Members of a group on this node. */
    public int groupSize(String group) { return Native.hubGroupSize(h(), group); }

    /** Open WebSocket connections. */
    public int connectionCount() { return Native.hubConnectionCount(h()); }

    /** Bytes waiting in a connection's outbound queue, or -1 if the connection is unknown. */
    public long queuedBytes(long conn) { return Native.hubQueuedBytes(h(), conn); }

    /** The status document also served at {@code /_omnisock/status}. */
    public String statusJson() { return Native.hubStatusJson(h()); }

    /** The metrics in the Prometheus text format, also served at {@code /metrics}. */
    public String metricsText() { return Native.hubMetricsText(h()); }

    /** Stops reading from a connection (TCP back-pressure reaches the peer); false if it is unknown or closing. */
    public boolean pauseReading(long conn) { return Native.hubSetReadingPaused(h(), conn, true) == 0; }

    /** Reads from a connection again after {@link #pauseReading}; false if it is unknown or closing. */
    public boolean resumeReading(long conn) { return Native.hubSetReadingPaused(h(), conn, false) == 0; }

    /** Accepts a handshake reported by {@link HubListener#onHandshake} (protocol: one the client offered, or null). */
    public boolean accept(long conn, String subprotocol) { return Native.hubAccept(h(), conn, subprotocol) == 0; }

    /** Rejects a handshake reported by {@link HubListener#onHandshake} with an HTTP status (400-599). */
    public boolean reject(long conn, int status, String body) { return Native.hubReject(h(), conn, status, body) == 0; }

    /** Pings a connection; a non-empty payload comes back in {@link HubListener#onPong}. */
    public boolean ping(long conn, byte[] payload) { return Native.hubPing(h(), conn, payload) == 0; }

    /**
     * Graceful shutdown: stops accepting, closes every connection with 1001 after its queued
     * messages (waiting up to the configured shutdown timeout), delivers the remaining events,
     * then frees the native hub. Idempotent.
     */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        try {
            Native.hubShutdown(handle);
        } finally {
            stopping = true;
            if (dispatcher == null) {
                cleanable.clean();
            }
        }
    }

    private void dispatch() {
        EventBatch batch = new EventBatch(64);
        try {
            while (true) {
                boolean last = stopping;
                int n;
                try {
                    n = Native.hubPoll(handle, WAIT_MS, batch.meta, batch.objs);
                } catch (IllegalStateException freed) {
                    break;
                }
                if (n == 0) {
                    if (last) {
                        break;
                    }
                    continue;
                }
                batch.count = n;
                if (executor == null) {
                    deliver(batch);
                } else {
                    final EventBatch b = batch.copy();
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
                        RealWebSocket.LOG.log(Level.WARNING, "callback executor rejected hub events; they are dropped", e);
                    }
                }
                batch.clear();
            }
        } catch (Throwable t) {
            RealWebSocket.LOG.log(Level.SEVERE, "omnisock hub dispatcher stopped unexpectedly", t);
        } finally {
            if (closed.get()) {
                cleanable.clean();
            }
        }
    }

    private void deliver(EventBatch b) {
        for (int i = 0; i < b.count; i++) {
            long conn = b.conn(i);
            try {
                switch (b.kind(i)) {
                    case EventBatch.OPEN:
                        listener.onOpen(this, conn, ConnectionInfo.fromEvent(conn, (String[]) b.obj(i)));
                        break;
                    case EventBatch.HANDSHAKE:
                        listener.onHandshake(this, conn, ConnectionInfo.fromEvent(conn, (String[]) b.obj(i)));
                        break;
                    case EventBatch.TEXT:
                        listener.onMessage(this, conn, new String((byte[]) b.obj(i), StandardCharsets.UTF_8));
                        break;
                    case EventBatch.BINARY:
                        listener.onMessage(this, conn, (byte[]) b.obj(i));
                        break;
                    case EventBatch.PONG:
                        listener.onPong(this, conn, (byte[]) b.obj(i));
                        break;
                    case EventBatch.ERROR:
                        listener.onError(this, conn, Errors.toThrowable((int) b.a(i), (String) b.obj(i)));
                        break;
                    case EventBatch.CLOSE:
                        listener.onClose(this, conn, (int) b.a(i), (String) b.obj(i), b.b(i) != 0);
                        break;
                    default:
                        break;
                }
            } catch (Throwable t) {
                RealWebSocket.LOG.log(Level.WARNING, "HubListener threw; delivery continues", t);
            }
        }
    }

    /** Builds a hub configuration (rendered as the README's TOML) and starts it. */
    public static final class Builder {
        private String listen = "127.0.0.1:0";
        private final List<String> routes = new ArrayList<String>();
        private final List<String> settings = new ArrayList<String>();
        private HubListener listener;
        private Executor executor;

        /** {@code ip:port} to listen on (default {@code 127.0.0.1:0}: a free port). */
        public Builder listen(String address) {
            listen = address;
            return this;
        }

        /** A route with the default queue (1 MiB, close slow consumers with 1008). */
        public Builder route(String path, RouteKind kind) {
            return route(path, kind, 1L << 20, Overflow.CLOSE);
        }

        /** A route with its own outbound queue limit per connection and overflow policy. */
        public Builder route(String path, RouteKind kind, long queueLimitBytes, Overflow onOverflow) {
            routes.add("[[route]]\npath = " + quote(path) + "\nkind = " + quote(kind.name().toLowerCase(Locale.ROOT))
                    + "\nqueue_limit = " + queueLimitBytes + "\non_overflow = " + quote(onOverflow.name().toLowerCase(Locale.ROOT)) + "\n");
            return this;
        }

        /** A {@code host} route whose handshakes the listener accepts or rejects ({@link HubListener#onHandshake}). */
        public Builder hostRouteWithHandshake(String path, String... subprotocols) {
            StringBuilder sb = new StringBuilder("[[route]]\npath = ").append(quote(path)).append("\nkind = \"host\"\nhost_accepts = true\n");
            if (subprotocols.length > 0) {
                sb.append("subprotocols = [");
                for (int i = 0; i < subprotocols.length; i++) {
                    sb.append(i > 0 ? ", " : "").append(quote(subprotocols[i]));
                }
                sb.append("]\n");
            }
            routes.add(sb.toString());
            return this;
        }

        public Builder maxConnections(int n) {
            settings.add("max_connections = " + n);
            return this;
        }

        public Builder maxMessageSize(long bytes) {
            settings.add("max_message_size = " + bytes);
            return this;
        }

        /** Required {@code token} query parameter or {@code Authorization: Bearer} value. */
        public Builder token(String token) {
            settings.add("token = " + quote(token));
            return this;
        }

        /** Allowed {@code Origin} values (none given = any origin). */
        public Builder origins(String... origins) {
            StringBuilder sb = new StringBuilder("origins = [");
            for (int i = 0; i < origins.length; i++) {
                sb.append(i > 0 ? ", " : "").append(quote(origins[i]));
            }
            settings.add(sb.append("]").toString());
            return this;
        }

        /** wss: PEM certificate chain and key files. */
        public Builder tls(String certFile, String keyFile) {
            routes.add("[tls]\ncert = " + quote(certFile) + "\nkey = " + quote(keyFile) + "\n");
            return this;
        }

        /** Receives the events of host routes. */
        public Builder listener(HubListener listener) {
            this.listener = listener;
            return this;
        }

        /** Where listener callbacks run (default: the hub's dispatcher thread). */
        public Builder callbackExecutor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** The TOML this builder describes. */
        public String toToml() {
            StringBuilder sb = new StringBuilder("listen = ").append(quote(listen)).append('\n');
            for (String s : settings) {
                sb.append(s).append('\n');
            }
            // Tables ([tls], [[route]]) come after the top-level keys.
            for (String r : routes) {
                if (r.startsWith("[tls]")) {
                    sb.append(r);
                }
            }
            for (String r : routes) {
                if (!r.startsWith("[tls]")) {
                    sb.append(r);
                }
            }
            return sb.toString();
        }

        /**
         * Binds and starts serving.
         *
         * @throws IllegalArgumentException for a bad configuration
         * @throws OmnisockException if the address cannot be bound
         */
        public Hub start() throws IOException {
            return Hub.start(toToml(), listener, executor);
        }

        /** A TOML basic string. */
        static String quote(String s) {
            if (s == null) {
                throw new NullPointerException("configuration value must not be null");
            }
            StringBuilder sb = new StringBuilder("\"");
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20 || c == 0x7f) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            return sb.append('"').toString();
        }
    }
}
