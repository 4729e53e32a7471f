package dev.omnisock;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
public final class OmnisockClient implements AutoCloseable, WebSocket.Factory {
    /** Options set on the builder: core option name -> JSON value (unset ones keep the core's default). */
    final Map<String, String> options;
    final List<String[]> headers;
    final List<String> subprotocols;
    final List<String> fallbackUrls;
    final byte[] extraCaPem;
    final Executor callbackExecutor;
    final int maxBatch;
    /** Set by {@link OkHttpClient}: tracks the sockets for its {@code dispatcher()}. */
    final Dispatcher dispatcher;
    private final Set<RealWebSocket> live = Collections.newSetFromMap(new ConcurrentHashMap<RealWebSocket, Boolean>());
    private volatile boolean closed;

    /** A client with the defaults (see {@link Builder}). */
    public OmnisockClient() {
        this(new Builder());
    }

    private OmnisockClient(Builder b) {
        options = new LinkedHashMap<String, String>(b.options);
        headers = new ArrayList<String[]>(b.headers);
        subprotocols = new ArrayList<String>(b.subprotocols);
        fallbackUrls = new ArrayList<String>(b.fallbackUrls);
        extraCaPem = b.extraCaPem;
        callbackExecutor = b.callbackExecutor;
        maxBatch = b.maxBatch;
        dispatcher = b.dispatcher;
    }

    /** A builder holding this client's options. */
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
    @Override
    public WebSocket newWebSocket(Request request, WebSocketListener listener) {
        if (listener == null) {
            throw new NullPointerException("listener == null");
        }
        if (closed) {
            throw new IllegalStateException("this OmnisockClient is closed");
        }
        if (dispatcher != null) {
            dispatcher.checkAccepting();
        }
        long handle = Native.clientConnect(configJson(request));
        RealWebSocket ws = new RealWebSocket(this, request, listener, handle);
        if (dispatcher != null) {
            try {
                dispatcher.started(ws);
            } catch (IllegalStateException shutDown) {
                Native.clientFree(handle);
                throw shutDown;
            }
        }
        live.add(ws);
        ws.start();
        return ws;
    }

    /**
     * The core's client configuration as JSON (the one form options cross the boundary in): the
     * core validates it and supplies every default not set here.
     */
    String configJson(Request request) {
        StringBuilder j = new StringBuilder(256).append("{\"url\":");
        Json.string(j, request.url());
        j.append(",\"fallback_urls\":");
        Json.strings(j, fallbackUrls);
        List<String[]> all = new ArrayList<String[]>(headers);
        all.addAll(request.headerPairs());
        j.append(",\"headers\":[");
        for (int i = 0; i < all.size(); i++) {
            j.append(i > 0 ? ",[" : "[");
            Json.string(j, all.get(i)[0]);
            j.append(',');
            Json.string(j, all.get(i)[1]);
            j.append(']');
        }
        j.append("],\"subprotocols\":");
        Json.strings(j, subprotocols);
        for (Map.Entry<String, String> o : options.entrySet()) {
            j.append(",\"").append(o.getKey()).append("\":").append(o.getValue());
        }
        if (extraCaPem != null) {
            j.append(",\"tls\":{\"extra_ca_pem\":");
            Json.string(j, new String(extraCaPem, StandardCharsets.UTF_8));
            j.append('}');
        }
        return j.append('}').toString();
    }

    void ended(RealWebSocket ws) {
        live.remove(ws);
        if (dispatcher != null) {
            dispatcher.finished(ws);
        }
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

    /**
     * Configures an {@link OmnisockClient}. Durations of 0 mean "off" where noted. Values are
     * checked by the core (one set of rules and defaults for every binding): a bad one makes
     * {@link OmnisockClient#newWebSocket} throw {@link IllegalArgumentException}.
     */
    public static final class Builder {
        final Map<String, String> options = new LinkedHashMap<String, String>();
        final List<String[]> headers = new ArrayList<String[]>();
        final List<String> subprotocols = new ArrayList<String>();
        final List<String> fallbackUrls = new ArrayList<String>();
        byte[] extraCaPem;
        Executor callbackExecutor;
        int maxBatch = 64;
        Dispatcher dispatcher;

        /** A builder with the defaults. */
        public Builder() {}

        Builder(OmnisockClient c) {
            options.putAll(c.options);
            headers.addAll(c.headers);
            subprotocols.addAll(c.subprotocols);
            fallbackUrls.addAll(c.fallbackUrls);
            extraCaPem = c.extraCaPem;
            callbackExecutor = c.callbackExecutor;
            maxBatch = c.maxBatch;
            dispatcher = c.dispatcher;
        }

        /** A duration as the core reads it ("250ms"); the core checks its range. */
        private static String millis(long amount, TimeUnit unit) {
            if (unit == null) {
                throw new NullPointerException("unit == null");
            }
            return "\"" + unit.toMillis(amount) + "ms\"";
        }

        /** Limit for TCP connect + TLS + handshake (default 10 s). */
        public Builder connectTimeout(long amount, TimeUnit unit) {
            options.put("connect_timeout", millis(amount, unit));
            return this;
        }

        /** Keepalive ping interval (default 20 s; 0 = no pings). */
        public Builder pingInterval(long amount, TimeUnit unit) {
            options.put("ping_interval", amount == 0 ? "\"off\"" : millis(amount, unit));
            return this;
        }

        /** How long to wait for any data after a ping before the peer counts as dead (default 20 s). */
        public Builder pongTimeout(long amount, TimeUnit unit) {
            options.put("pong_timeout", millis(amount, unit));
            return this;
        }

        /** How long to wait for the peer's close frame after sending ours (default 5 s). */
        public Builder closeTimeout(long amount, TimeUnit unit) {
            options.put("close_timeout", millis(amount, unit));
            return this;
        }

        /** Reconnect up to {@code maxAttempts} times after a lost connection (the core's backoff, with jitter). 0 = off (default). */
        public Builder reconnect(int maxAttempts) {
            options.put("reconnect", "{\"max_attempts\":" + maxAttempts + "}");
            return this;
        }

        /** Reconnect with a custom backoff: the delay starts at {@code initialDelay} and doubles up to {@code maxDelay}. */
        public Builder reconnect(int maxAttempts, long initialDelay, long maxDelay, TimeUnit unit) {
            options.put("reconnect", "{\"max_attempts\":" + maxAttempts + ",\"initial_delay\":" + millis(initialDelay, unit)
                    + ",\"max_delay\":" + millis(maxDelay, unit) + "}");
            return this;
        }

        /** Bytes that may wait in the send queue (default 16 MiB); beyond it {@code send} returns false. */
        public Builder sendQueueLimit(long bytes) {
            options.put("send_queue_limit", Long.toString(bytes));
            return this;
        }

        /** Largest accepted incoming message (default 16 MiB); bigger closes with 1009 and {@code onFailure}. */
        public Builder maxMessageSize(long bytes) {
            options.put("max_message_size", Long.toString(bytes));
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
            options.put("line_framing", Boolean.toString(on));
            return this;
        }

        /**
         * Connect through an HTTP proxy ({@code CONNECT}): {@code http://[user:password@]host:port}
         * (credentials go as {@code Proxy-Authorization: Basic}). Null removes it. Core key {@code proxy}.
         */
        public Builder proxy(String proxyUrl) {
            if (proxyUrl == null) {
                options.remove("proxy");
            } else {
                options.put("proxy", Json.quoted(proxyUrl));
            }
            return this;
        }

        /** Whether to take the proxy from {@code http_proxy}/{@code https_proxy}/{@code no_proxy}. Core key {@code proxy_from_env}. */
        public Builder proxyFromEnv(boolean on) {
            options.put("proxy_from_env", Boolean.toString(on));
            return this;
        }

        /** Redirects (3xx) to follow during the opening handshake; 0 = none. Core key {@code max_redirects}. */
        public Builder maxRedirects(int redirects) {
            if (redirects < 0) {
                throw new IllegalArgumentException("maxRedirects must be >= 0, got " + redirects);
            }
            options.put("max_redirects", Integer.toString(redirects));
            return this;
        }

        /** Certificate pins (SPKI SHA-256) checked by the core on every TLS handshake; an empty pinner removes them. Core key {@code certificate_pins}. */
        public Builder certificatePinner(CertificatePinner pinner) {
            if (pinner == null) {
                throw new NullPointerException("certificatePinner == null");
            }
            if (pinner.isEmpty()) {
                options.remove("certificate_pins");
                return this;
            }
            StringBuilder j = new StringBuilder("[");
            List<String[]> pins = pinner.pins();
            for (int i = 0; i < pins.size(); i++) {
                j.append(i > 0 ? ",[" : "[");
                Json.string(j, pins.get(i)[0]);
                j.append(',');
                Json.string(j, pins.get(i)[1]);
                j.append(']');
            }
            options.put("certificate_pins", j.append(']').toString());
            return this;
        }

        /** Offer permessage-deflate (RFC 7692). Core key {@code compression}. */
        public Builder compression(boolean on) {
            options.put("compression", Boolean.toString(on));
            return this;
        }

        /** Messages shorter than this are sent uncompressed (default 1024). Core key {@code compression_threshold}. */
        public Builder compressionThreshold(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("compressionThreshold must be >= 0, got " + bytes);
            }
            options.put("compression_threshold", Long.toString(bytes));
            return this;
        }

        /** Sockets made by the built client are tracked by {@code d} (OkHttpClient's dispatcher). */
        Builder dispatcher(Dispatcher d) {
            dispatcher = d;
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

        /** The client with these options. */
        public OmnisockClient build() {
            return new OmnisockClient(this);
        }
    }
}
