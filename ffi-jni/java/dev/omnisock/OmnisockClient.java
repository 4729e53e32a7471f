package dev.omnisock;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Makes WebSocket connections; the shape follows OkHttp's {@code OkHttpClient}:
 *
 * <pre>{@code
 * OmnisockClient client = new OmnisockClient.Builder()
 *     .reconnect(10)                                   // off by default
 *     .callbackExecutor(ContextCompat.getMainExecutor(context))
 *     .build();
 * WebSocket ws = client.newWebSocket(new Request.Builder().url("wss://host/ws/camera").build(), listener);
 * }</pre>
 *
 * A client is immutable and cheap; one per app is typical. {@link #close()} closes the
 * sockets it made that are still open (1001) and refuses new ones.
 */
public final class OmnisockClient implements AutoCloseable {
    final long connectTimeoutMs;
    final long pingIntervalMs;
    final long pongTimeoutMs;
    final long closeTimeoutMs;
    final int reconnectMaxAttempts;
    final long reconnectInitialMs;
    final long reconnectMaxMs;
    final long sendQueueLimit;
    final long maxMessageSize;
    final boolean lineFraming;
    final List<String[]> headers;
    final List<String> subprotocols;
    final List<String> fallbackUrls;
    final byte[] extraCaPem;
    final Executor callbackExecutor;
    final int maxBatch;
    private final Set<RealWebSocket> live = Collections.newSetFromMap(new ConcurrentHashMap<RealWebSocket, Boolean>());
    private volatile boolean closed;

    /** A client with the defaults (see {@link Builder}). */
    public OmnisockClient() {
        this(new Builder());
    }

    private OmnisockClient(Builder b) {
        connectTimeoutMs = b.connectTimeoutMs;
        pingIntervalMs = b.pingIntervalMs;
        pongTimeoutMs = b.pongTimeoutMs;
        closeTimeoutMs = b.closeTimeoutMs;
        reconnectMaxAttempts = b.reconnectMaxAttempts;
        reconnectInitialMs = b.reconnectInitialMs;
        reconnectMaxMs = b.reconnectMaxMs;
        sendQueueLimit = b.sendQueueLimit;
        maxMessageSize = b.maxMessageSize;
        lineFraming = b.lineFraming;
        headers = new ArrayList<String[]>(b.headers);
        subprotocols = new ArrayList<String>(b.subprotocols);
        fallbackUrls = new ArrayList<String>(b.fallbackUrls);
        extraCaPem = b.extraCaPem;
        callbackExecutor = b.callbackExecutor;
        maxBatch = b.maxBatch;
    }

    public Builder newBuilder() {
        return new Builder(this);
    }

    /** The omnisock native library version. */
    public static String version() {
        return Native.version();
    }

    /** Connects to {@code url} ({@code ws://} or {@code wss://}) in the background. */
    public WebSocket newWebSocket(String url, WebSocketListener listener) {
        return newWebSocket(new Request.Builder().url(url).build(), listener);
    }

    /**
     * Starts connecting and returns at once; the outcome arrives at the listener.
     *
     * @throws IllegalArgumentException for a bad URL, header, subprotocol or CA certificate
     * @throws IllegalStateException after {@link #close()}
     */
    public WebSocket newWebSocket(Request request, WebSocketListener listener) {
        if (listener == null) {
            throw new NullPointerException("listener == null");
        }
        if (closed) {
            throw new IllegalStateException("this OmnisockClient is closed");
        }
        List<String> h = new ArrayList<String>();
        for (String[] kv : headers) {
            h.add(kv[0]);
            h.add(kv[1]);
        }
        for (String[] kv : request.headerPairs()) {
            h.add(kv[0]);
            h.add(kv[1]);
        }
        long[] opts = {
            connectTimeoutMs, pingIntervalMs, pongTimeoutMs, closeTimeoutMs,
            reconnectMaxAttempts, reconnectInitialMs, reconnectMaxMs,
            sendQueueLimit, maxMessageSize, lineFraming ? 1 : 0,
        };
        long handle = Native.clientConnect(request.url(), fallbackUrls.toArray(new String[0]), h.toArray(new String[0]),
                subprotocols.toArray(new String[0]), opts, extraCaPem);
        RealWebSocket ws = new RealWebSocket(this, request, listener, handle);
        live.add(ws);
        ws.start();
        return ws;
    }

    void ended(RealWebSocket ws) {
        live.remove(ws);
    }

    /** Sockets made by this client that have not ended yet. */
    public int openSockets() {
        return live.size();
    }

    /** Closes (1001 "client closed") every socket this client made that is still open; new sockets are refused. */
    @Override
    public void close() {
        closed = true;
        for (RealWebSocket ws : live.toArray(new RealWebSocket[0])) {
            ws.close(1001, "client closed");
        }
    }

    /** Configures an {@link OmnisockClient}. Durations of 0 mean "off" where noted. */
    public static final class Builder {
        long connectTimeoutMs = 10_000;
        long pingIntervalMs = 20_000;
        long pongTimeoutMs = 20_000;
        long closeTimeoutMs = 5_000;
        int reconnectMaxAttempts = 0;
        long reconnectInitialMs = 250;
        long reconnectMaxMs = 10_000;
        long sendQueueLimit = 16L << 20;
        long maxMessageSize = 16L << 20;
        boolean lineFraming;
        final List<String[]> headers = new ArrayList<String[]>();
        final List<String> subprotocols = new ArrayList<String>();
        final List<String> fallbackUrls = new ArrayList<String>();
        byte[] extraCaPem;
        Executor callbackExecutor;
        int maxBatch = 64;

        public Builder() {}

        Builder(OmnisockClient c) {
            connectTimeoutMs = c.connectTimeoutMs;
            pingIntervalMs = c.pingIntervalMs;
            pongTimeoutMs = c.pongTimeoutMs;
            closeTimeoutMs = c.closeTimeoutMs;
            reconnectMaxAttempts = c.reconnectMaxAttempts;
            reconnectInitialMs = c.reconnectInitialMs;
            reconnectMaxMs = c.reconnectMaxMs;
            sendQueueLimit = c.sendQueueLimit;
            maxMessageSize = c.maxMessageSize;
            lineFraming = c.lineFraming;
            headers.addAll(c.headers);
            subprotocols.addAll(c.subprotocols);
            fallbackUrls.addAll(c.fallbackUrls);
            extraCaPem = c.extraCaPem;
            callbackExecutor = c.callbackExecutor;
            maxBatch = c.maxBatch;
        }

        private static long millis(long amount, TimeUnit unit, String what, boolean zeroOk) {
            if (unit == null) {
                throw new NullPointerException("unit == null");
            }
            long ms = unit.toMillis(amount);
            if (amount < 0 || (!zeroOk && ms == 0)) {
                throw new IllegalArgumentException(what + " must be " + (zeroOk ? ">= 0" : ">= 1 ms") + ", got " + amount + " " + unit);
            }
            return ms;
        }

        /** Limit for TCP connect + TLS + handshake (default 10 s). */
        public Builder connectTimeout(long amount, TimeUnit unit) {
            connectTimeoutMs = millis(amount, unit, "connectTimeout", false);
            return this;
        }

        /** Keepalive ping interval (default 20 s; 0 = no pings). */
        public Builder pingInterval(long amount, TimeUnit unit) {
            pingIntervalMs = millis(amount, unit, "pingInterval", true);
            return this;
        }

        /** How long to wait for any data after a ping before the peer counts as dead (default 20 s). */
        public Builder pongTimeout(long amount, TimeUnit unit) {
            pongTimeoutMs = millis(amount, unit, "pongTimeout", false);
            return this;
        }

        /** How long to wait for the peer's close frame after sending ours (default 5 s). */
        public Builder closeTimeout(long amount, TimeUnit unit) {
            closeTimeoutMs = millis(amount, unit, "closeTimeout", false);
            return this;
        }

        /** Reconnect up to {@code maxAttempts} times after a lost connection (backoff 250 ms doubling to 10 s, with jitter). 0 = off (default). */
        public Builder reconnect(int maxAttempts) {
            if (maxAttempts < 0) {
                throw new IllegalArgumentException("maxAttempts must be >= 0, got " + maxAttempts);
            }
            reconnectMaxAttempts = maxAttempts;
            return this;
        }

        /** Reconnect with a custom backoff: the delay starts at {@code initialDelay} and doubles up to {@code maxDelay}. */
        public Builder reconnect(int maxAttempts, long initialDelay, long maxDelay, TimeUnit unit) {
            reconnect(maxAttempts);
            reconnectInitialMs = millis(initialDelay, unit, "initialDelay", false);
            reconnectMaxMs = millis(maxDelay, unit, "maxDelay", false);
            if (reconnectMaxMs < reconnectInitialMs) {
                throw new IllegalArgumentException("maxDelay must be >= initialDelay");
            }
            return this;
        }

        /** Bytes that may wait in the send queue (default 16 MiB); beyond it {@code send} returns false. */
        public Builder sendQueueLimit(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("sendQueueLimit must be > 0, got " + bytes);
            }
            sendQueueLimit = bytes;
            return this;
        }

        /** Largest accepted incoming message (default 16 MiB); bigger closes with 1009 and {@code onFailure}. */
        public Builder maxMessageSize(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxMessageSize must be > 0, got " + bytes);
            }
            maxMessageSize = bytes;
            return this;
        }

        /** A header sent with every handshake of this client. */
        public Builder header(String name, String value) {
            if (name == null || value == null) {
                throw new NullPointerException("header name and value must not be null");
            }
            headers.add(new String[] {name, value});
            return this;
        }

        /**
         * More URLs of the same service (e.g. other hub nodes): after a failed attempt or a lost
         * connection, the next reconnect tries the next URL in turn. Checked when connecting.
         */
        public Builder fallbackUrls(String... urls) {
            fallbackUrls.clear();
            for (String u : urls) {
                if (u == null) {
                    throw new NullPointerException("fallback URL must not be null");
                }
                fallbackUrls.add(u);
            }
            return this;
        }

        /** Subprotocols to offer, in preference order ({@link Response#subprotocol()} tells the chosen one). */
        public Builder subprotocols(String... protocols) {
            subprotocols.clear();
            for (String p : protocols) {
                if (p == null) {
                    throw new NullPointerException("subprotocol must not be null");
                }
                subprotocols.add(p);
            }
            return this;
        }

        /** Extra trusted CA certificates (PEM), added to the built-in web PKI roots. */
        public Builder extraCaPem(String pem) {
            extraCaPem = pem == null ? null : pem.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /** See {@link #extraCaPem(String)}. */
        public Builder extraCaPem(byte[] pem) {
            extraCaPem = pem == null ? null : pem.clone();
            return this;
        }

        /**
         * Where listener callbacks run (Android: {@code ContextCompat.getMainExecutor(context)}).
         * Default null: on the socket's own dispatcher thread. Any executor works, even a pool:
         * callbacks of one socket still run one at a time and in order.
         */
        public Builder callbackExecutor(Executor executor) {
            callbackExecutor = executor;
            return this;
        }

        /** MMDAgent-EX line framing: one message per received "\n"-terminated line; "\n" appended on send. */
        public Builder lineFraming(boolean on) {
            lineFraming = on;
            return this;
        }

        /** Most events moved out of the core per native call (default 64). */
        public Builder maxEventBatch(int events) {
            if (events < 1 || events > 4096) {
                throw new IllegalArgumentException("maxEventBatch must be 1..4096, got " + events);
            }
            maxBatch = events;
            return this;
        }

        public OmnisockClient build() {
            return new OmnisockClient(this);
        }
    }
}
