package dev.omnisock;

import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;

/**
 * OkHttp's {@code OkHttpClient} for web sockets: code written against OkHttp's WebSocket API
 * compiles and runs with {@code okhttp3.*} and {@code okio.ByteString} imports changed to
 * {@code dev.omnisock.*}. Each builder option maps to the core's client configuration (the same
 * one {@link OmnisockClient.Builder} sets); the mapping is in {@code ffi-jni/README.md}.
 *
 * <p>Threads as OkHttp: each open socket has one non-daemon thread (it keeps the JVM alive while
 * the socket is open, and the listener runs on it); the thread ends with the socket.
 * {@code dispatcher().executorService().shutdown()} refuses new sockets and lets open ones end.
 * It is a {@link WebSocket.Factory}, as OkHttp's.
 */
public class OkHttpClient implements WebSocket.Factory {
    /** OkHttp follows at most 20 redirects. */
    static final int MAX_REDIRECTS = 20;

    private final Builder settings;
    private final OmnisockClient client;

    /** A client with OkHttp's defaults. */
    public OkHttpClient() {
        this(new Builder());
    }

    OkHttpClient(Builder b) {
        settings = b.copy();
        client = b.toOmnisock(null).build();
    }

    /**
     * Starts connecting and returns at once; the outcome arrives at the listener (on this
     * socket's own thread).
     *
     * After {@code dispatcher().executorService().shutdown()} nothing connects: as in OkHttp,
     * the listener gets {@code onFailure} (an {@link InterruptedIOException} "executor
     * rejected") on the calling thread, and the returned socket is inert.
     *
     * @throws IllegalArgumentException for a bad URL or header, or an option the core refuses
     */
    @Override
    public WebSocket newWebSocket(Request request, WebSocketListener listener) {
        if (request == null || listener == null) {
            throw new NullPointerException("request and listener must not be null");
        }
        if (settings.dispatcher.executorService().isShutdown()) {
            return refused(request, listener);
        }
        OmnisockClient c = client;
        if (settings.proxy == null) {
            // OkHttp asks the proxy selector per request (the JVM default reads -Dhttp.proxyHost etc.).
            String selected = selectProxy(settings.proxySelector, request.url());
            if (selected != null) {
                c = settings.toOmnisock(selected).build();
            }
        }
        try {
            return c.newWebSocket(request, listener);
        } catch (IllegalStateException shutDownMeanwhile) {
            if (!settings.dispatcher.executorService().isShutdown()) {
                throw shutDownMeanwhile;
            }
            return refused(request, listener);
        }
    }

    private static WebSocket refused(Request request, WebSocketListener listener) {
        WebSocket ws = new RefusedWebSocket(request);
        InterruptedIOException e = new InterruptedIOException("executor rejected");
        e.initCause(new RejectedExecutionException("the dispatcher's executor service is shut down"));
        listener.onFailure(ws, e, null);
        return ws;
    }

    /** A builder holding this client's options. */
    public Builder newBuilder() {
        return settings.copy();
    }

    /** Where this client's sockets are tracked (shared by the clients built from the same builder). */
    public Dispatcher dispatcher() { return settings.dispatcher; }

    /** Limit for the TCP connect (ms; 0 = none). */
    public int connectTimeoutMillis() { return settings.connectTimeoutMs; }

    /** Limit for reading the handshake response (ms; 0 = none). An open web socket has no read timeout, as in OkHttp. */
    public int readTimeoutMillis() { return settings.readTimeoutMs; }

    /** Limit for writing the handshake request (ms; 0 = none). */
    public int writeTimeoutMillis() { return settings.writeTimeoutMs; }

    /** Limit for the whole opening handshake (ms; 0 = none). */
    public int callTimeoutMillis() { return settings.callTimeoutMs; }

    /** Ping interval (ms; 0 = no pings, OkHttp's default). */
    public int pingIntervalMillis() { return settings.pingIntervalMs; }

    /** How long a closing socket waits for the peer's close frame (ms). */
    public long webSocketCloseTimeoutMillis() { return settings.closeTimeoutMs; }

    /** See {@link Builder#retryOnConnectionFailure(boolean)}. */
    public boolean retryOnConnectionFailure() { return settings.retryOnConnectionFailure; }

    /** Whether redirects of the opening handshake are followed (up to 20). */
    public boolean followRedirects() { return settings.followRedirects; }

    /** The proxy set on the builder, or null (the proxy selector decides). */
    public Proxy proxy() { return settings.proxy; }

    /** The proxy selector asked when no proxy is set (default: the JVM's). */
    public ProxySelector proxySelector() {
        return settings.proxySelector != null ? settings.proxySelector : ProxySelector.getDefault();
    }

    /** The certificate pins. */
    public CertificatePinner certificatePinner() { return settings.certificatePinner; }

    /** Messages shorter than this are sent uncompressed. */
    public long minWebSocketMessageToCompress() { return settings.minCompress; }

    /** The trust manager given to {@link Builder#sslSocketFactory}, or null. */
    public X509TrustManager x509TrustManager() { return settings.trustManager; }

    /** The socket factory given to {@link Builder#sslSocketFactory}, or null (the core does TLS itself). */
    public SSLSocketFactory sslSocketFactory() { return settings.sslSocketFactory; }

    /** The HTTP proxy {@code selector} picks for a web socket URL as {@code http://host:port}, or null for a direct connection. */
    static String selectProxy(ProxySelector selector, String wsUrl) {
        ProxySelector s = selector != null ? selector : ProxySelector.getDefault();
        if (s == null) {
            return null;
        }
        URI uri;
        try {
            URI ws = new URI(wsUrl);
            String scheme = "wss".equalsIgnoreCase(ws.getScheme()) ? "https" : "http";
            uri = new URI(scheme, null, ws.getHost(), ws.getPort(), "/", null, null);
        } catch (Exception badUrl) {
            return null; // the core reports the bad URL itself
        }
        List<Proxy> proxies = s.select(uri);
        if (proxies == null) {
            return null;
        }
        for (Proxy p : proxies) {
            if (p.type() == Proxy.Type.HTTP) {
                return proxyUrl(p);
            }
            if (p.type() == Proxy.Type.DIRECT) {
                return null;
            }
        }
        return null;
    }

    /** {@code http://host:port} for an HTTP proxy. */
    static String proxyUrl(Proxy p) {
        SocketAddress a = p.address();
        if (!(a instanceof InetSocketAddress)) {
            throw new IllegalArgumentException("proxy address must be an InetSocketAddress: " + a);
        }
        InetSocketAddress isa = (InetSocketAddress) a;
        String host = isa.getHostString();
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + isa.getPort();
    }

    /**
     * OkHttp's {@code OkHttpClient.Builder}. Defaults are OkHttp's: 10 s connect, read and write
     * timeouts, no call timeout, no pings, redirects followed, permessage-deflate offered for
     * messages of 1024 bytes and more, 60 s close timeout.
     */
    public static final class Builder {
        int connectTimeoutMs = 10_000;
        int readTimeoutMs = 10_000;
        int writeTimeoutMs = 10_000;
        int callTimeoutMs;
        int pingIntervalMs;
        long closeTimeoutMs = 60_000;
        boolean retryOnConnectionFailure = true;
        boolean followRedirects = true;
        Proxy proxy;
        ProxySelector proxySelector;
        CertificatePinner certificatePinner = CertificatePinner.DEFAULT;
        long minCompress = 1024;
        SSLSocketFactory sslSocketFactory;
        X509TrustManager trustManager;
        String trustPem;
        Dispatcher dispatcher = new Dispatcher();

        /** A builder with OkHttp's defaults. */
        public Builder() {}

        Builder copy() {
            Builder b = new Builder();
            b.connectTimeoutMs = connectTimeoutMs;
            b.readTimeoutMs = readTimeoutMs;
            b.writeTimeoutMs = writeTimeoutMs;
            b.callTimeoutMs = callTimeoutMs;
            b.pingIntervalMs = pingIntervalMs;
            b.closeTimeoutMs = closeTimeoutMs;
            b.retryOnConnectionFailure = retryOnConnectionFailure;
            b.followRedirects = followRedirects;
            b.proxy = proxy;
            b.proxySelector = proxySelector;
            b.certificatePinner = certificatePinner;
            b.minCompress = minCompress;
            b.sslSocketFactory = sslSocketFactory;
            b.trustManager = trustManager;
            b.trustPem = trustPem;
            b.dispatcher = dispatcher;
            return b;
        }

        /** OkHttp's duration rule: 0 = none, else 1 ms .. Integer.MAX_VALUE ms. */
        private static int checkDuration(String name, long amount, TimeUnit unit) {
            if (unit == null) {
                throw new NullPointerException("unit == null");
            }
            if (amount < 0) {
                throw new IllegalArgumentException(name + " < 0");
            }
            long ms = unit.toMillis(amount);
            if (ms > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + " too large");
            }
            if (ms == 0 && amount > 0) {
                throw new IllegalArgumentException(name + " too small");
            }
            return (int) ms;
        }

        /** TCP connect limit (default 10 s; 0 = none). Part of the core's opening limit. */
        public Builder connectTimeout(long timeout, TimeUnit unit) {
            connectTimeoutMs = checkDuration("timeout", timeout, unit);
            return this;
        }

        /**
         * Limit for reading the handshake response (default 10 s; 0 = none). As in OkHttp, an
         * open web socket has no read timeout (use {@link #pingInterval} to detect a dead peer).
         */
        public Builder readTimeout(long timeout, TimeUnit unit) {
            readTimeoutMs = checkDuration("timeout", timeout, unit);
            return this;
        }

        /** Limit for writing the handshake request (default 10 s; 0 = none). */
        public Builder writeTimeout(long timeout, TimeUnit unit) {
            writeTimeoutMs = checkDuration("timeout", timeout, unit);
            return this;
        }

        /** Limit for the whole opening handshake, redirects included (default 0 = none). */
        public Builder callTimeout(long timeout, TimeUnit unit) {
            callTimeoutMs = checkDuration("timeout", timeout, unit);
            return this;
        }

        /**
         * Sends a ping at this interval; as OkHttp, the socket fails if the peer has not answered
         * by the next ping. Default 0: no pings.
         */
        public Builder pingInterval(long interval, TimeUnit unit) {
            pingIntervalMs = checkDuration("interval", interval, unit);
            return this;
        }

        /** How long {@code close()} waits for the peer's close frame before dropping the connection (default 60 s). */
        public Builder webSocketCloseTimeout(long timeout, TimeUnit unit) {
            int ms = checkDuration("webSocketCloseTimeout", timeout, unit);
            if (ms == 0) {
                throw new IllegalArgumentException("webSocketCloseTimeout must be > 0");
            }
            closeTimeoutMs = ms;
            return this;
        }

        /**
         * OkHttp's default {@code true} is what the core does: every address the host name
         * resolves to is tried in turn within one connection attempt. {@code false} is kept for
         * {@link OkHttpClient#retryOnConnectionFailure()} but the core still tries each address.
         */
        public Builder retryOnConnectionFailure(boolean retry) {
            retryOnConnectionFailure = retry;
            return this;
        }

        /** Follow redirects (3xx) of the opening handshake, up to 20 as OkHttp (default true). Core key {@code max_redirects}. */
        public Builder followRedirects(boolean follow) {
            followRedirects = follow;
            return this;
        }

        /**
         * The proxy for every socket of this client: {@link Proxy#NO_PROXY} for none, an
         * {@code HTTP} proxy for {@code CONNECT} through it. Null (default): ask
         * {@link #proxySelector}. SOCKS proxies are refused (the core speaks HTTP CONNECT only).
         */
        public Builder proxy(Proxy proxy) {
            if (proxy != null && proxy.type() == Proxy.Type.SOCKS) {
                throw new IllegalArgumentException("SOCKS proxies are not supported; use an HTTP proxy (CONNECT)");
            }
            if (proxy != null && proxy.type() == Proxy.Type.HTTP) {
                proxyUrl(proxy); // checks the address now
            }
            this.proxy = proxy;
            return this;
        }

        /** Asked for each new socket when no {@link #proxy} is set; its first HTTP or DIRECT answer is used. */
        public Builder proxySelector(ProxySelector selector) {
            if (selector == null) {
                throw new NullPointerException("proxySelector == null");
            }
            proxySelector = selector;
            return this;
        }

        /**
         * TLS trust, as far as the core's TLS (rustls) can take it: the trust manager's accepted
         * issuers are trusted in addition to the built-in web PKI roots. The socket factory is
         * kept for {@link OkHttpClient#sslSocketFactory()} but not used.
         *
         * @throws IllegalArgumentException if the trust manager names no accepted issuer (e.g. a
         *     trust-everything manager, whose checks the core cannot run)
         */
        public Builder sslSocketFactory(SSLSocketFactory sslSocketFactory, X509TrustManager trustManager) {
            if (sslSocketFactory == null || trustManager == null) {
                throw new NullPointerException("sslSocketFactory and trustManager must not be null");
            }
            X509Certificate[] issuers = trustManager.getAcceptedIssuers();
            if (issuers == null || issuers.length == 0) {
                throw new IllegalArgumentException("the trust manager accepts no issuer: its custom checks cannot run in the core's TLS;"
                        + " give a trust manager over the CA certificates to trust");
            }
            StringBuilder pem = new StringBuilder();
            for (X509Certificate c : issuers) {
                try {
                    pem.append("-----BEGIN CERTIFICATE-----\n")
                            .append(ByteString.of(c.getEncoded()).base64())
                            .append("\n-----END CERTIFICATE-----\n");
                } catch (CertificateEncodingException e) {
                    throw new IllegalArgumentException("cannot encode trusted certificate " + c.getSubjectX500Principal(), e);
                }
            }
            this.sslSocketFactory = sslSocketFactory;
            this.trustManager = trustManager;
            this.trustPem = pem.toString();
            return this;
        }

        /** Certificate pins (SPKI SHA-256) checked on every TLS handshake. Core key {@code certificate_pins}. */
        public Builder certificatePinner(CertificatePinner certificatePinner) {
            if (certificatePinner == null) {
                throw new NullPointerException("certificatePinner == null");
            }
            this.certificatePinner = certificatePinner;
            return this;
        }

        /**
         * permessage-deflate is offered (as OkHttp always does); messages shorter than
         * {@code bytes} go uncompressed (default 1024). Core keys {@code compression},
         * {@code compression_threshold}.
         */
        public Builder minWebSocketMessageToCompress(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("minWebSocketMessageToCompress must be positive: " + bytes);
            }
            minCompress = bytes;
            return this;
        }

        /** Tracks this client's sockets (share one between clients to shut them down together). */
        public Builder dispatcher(Dispatcher dispatcher) {
            if (dispatcher == null) {
                throw new NullPointerException("dispatcher == null");
            }
            this.dispatcher = dispatcher;
            return this;
        }

        /** The client with these options. */
        public OkHttpClient build() {
            return new OkHttpClient(this);
        }

        /** A sum of phase limits where 0 means "no limit" for that phase. */
        private static long openingLimitMs(int call, int connect, int write, int read) {
            if (call > 0) {
                return call;
            }
            if (connect == 0 || write == 0 || read == 0) {
                // One phase is unbounded, so the opening is: the longest limit OkHttp accepts.
                return Integer.MAX_VALUE;
            }
            return (long) connect + write + read;
        }

        /**
         * The core configuration for these options. OkHttp's defaults for options a core may lack
         * (redirects, compression, proxy_from_env) are sent only where the core has them; an
         * option set explicitly is always sent (an older core refuses it with a clear error).
         */
        OmnisockClient.Builder toOmnisock(String selectedProxy) {
            OmnisockClient.Builder b = new OmnisockClient.Builder()
                    .connectTimeout(openingLimitMs(callTimeoutMs, connectTimeoutMs, writeTimeoutMs, readTimeoutMs), TimeUnit.MILLISECONDS)
                    .closeTimeout(closeTimeoutMs, TimeUnit.MILLISECONDS)
                    .dispatcher(dispatcher);
            b.pingInterval(pingIntervalMs, TimeUnit.MILLISECONDS);
            if (pingIntervalMs > 0) {
                b.pongTimeout(pingIntervalMs, TimeUnit.MILLISECONDS);
            }
            b.maxRedirects(followRedirects ? MAX_REDIRECTS : 0);
            b.compression(true).compressionThreshold(minCompress);
            String proxyUrl = proxy != null && proxy.type() == Proxy.Type.HTTP ? proxyUrl(proxy) : selectedProxy;
            if (proxyUrl != null) {
                b.proxy(proxyUrl);
            }
            // OkHttp never reads http_proxy & co. from the environment.
            b.proxyFromEnv(false);
            b.certificatePinner(certificatePinner);
            if (trustPem != null) {
                b.extraCaPem(trustPem.getBytes(StandardCharsets.UTF_8));
            }
            return b;
        }
    }
}
