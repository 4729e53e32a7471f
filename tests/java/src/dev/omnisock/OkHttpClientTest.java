package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** OkHttpClient: its builder's mapping to the core configuration, threads, dispatcher, TLS trust, Response members. */
class OkHttpClientTest {
    static Hub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHubs.echoHub();
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    private static String config(OkHttpClient.Builder b) {
        return b.toOmnisock(null).build().configJson(new Request.Builder().url("ws://127.0.0.1:1/x").build());
    }

    @Test
    void defaultsAreOkHttpsMappedToTheCore() {
        String j = config(new OkHttpClient.Builder());
        // Opening limit = connect + write + read (10 s each); no pings; 60 s close timeout.
        assertTrue(j.contains("\"connect_timeout\":\"30000ms\""), j);
        assertTrue(j.contains("\"ping_interval\":\"off\""), j);
        assertTrue(j.contains("\"close_timeout\":\"60000ms\""), j);
        assertFalse(j.contains("\"proxy\""), j);
        assertFalse(j.contains("certificate_pins"), j);
        OkHttpClient c = new OkHttpClient();
        assertEquals(10_000, c.connectTimeoutMillis());
        assertEquals(10_000, c.readTimeoutMillis());
        assertEquals(10_000, c.writeTimeoutMillis());
        assertEquals(0, c.callTimeoutMillis());
        assertEquals(0, c.pingIntervalMillis());
        assertTrue(c.followRedirects());
        assertTrue(c.retryOnConnectionFailure());
        assertEquals(1024, c.minWebSocketMessageToCompress());
        assertEquals(CertificatePinner.DEFAULT, c.certificatePinner());
        assertNull(c.proxy());
    }

    @Test
    void okHttpDefaultsReachTheCoreOptions() {
        String j = config(new OkHttpClient.Builder());
        assertTrue(j.contains("\"max_redirects\":20"), j);
        assertTrue(j.contains("\"compression\":true") && j.contains("\"compression_threshold\":1024"), j);
        assertTrue(config(new OkHttpClient.Builder().followRedirects(false)).contains("\"max_redirects\":0"));
        assertTrue(config(new OkHttpClient.Builder().minWebSocketMessageToCompress(64)).contains("\"compression_threshold\":64"));
    }

    @Test
    void timeoutsAndPingsMapToTheOpeningLimitAndKeepalive() {
        OkHttpClient.Builder b = new OkHttpClient.Builder()
                .connectTimeout(2, TimeUnit.SECONDS).writeTimeout(3, TimeUnit.SECONDS).readTimeout(4, TimeUnit.SECONDS)
                .pingInterval(1500, TimeUnit.MILLISECONDS);
        String j = config(b);
        assertTrue(j.contains("\"connect_timeout\":\"9000ms\""), j);
        assertTrue(j.contains("\"ping_interval\":\"1500ms\""), j);
        assertTrue(j.contains("\"pong_timeout\":\"1500ms\""), "OkHttp fails when no pong came by the next ping: " + j);
        // A call timeout bounds the whole opening by itself.
        assertTrue(config(b.callTimeout(700, TimeUnit.MILLISECONDS)).contains("\"connect_timeout\":\"700ms\""));
        // readTimeout(0): the response read is unbounded, so the opening is too (OkHttp's maximum).
        assertTrue(config(new OkHttpClient.Builder().readTimeout(0, TimeUnit.MILLISECONDS))
                .contains("\"connect_timeout\":\"" + Integer.MAX_VALUE + "ms\""));
        assertEquals(1500, b.build().pingIntervalMillis());
        assertThrows(IllegalArgumentException.class, () -> new OkHttpClient.Builder().readTimeout(-1, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> new OkHttpClient.Builder().readTimeout(1, TimeUnit.NANOSECONDS));
        assertThrows(IllegalArgumentException.class, () -> new OkHttpClient.Builder().connectTimeout(30, TimeUnit.DAYS));
    }

    @Test
    void newBuilderKeepsEveryOption() {
        OkHttpClient a = new OkHttpClient.Builder().readTimeout(0, TimeUnit.SECONDS).pingInterval(2, TimeUnit.SECONDS)
                .retryOnConnectionFailure(false).build();
        OkHttpClient b = a.newBuilder().writeTimeout(1, TimeUnit.SECONDS).build();
        assertEquals(0, b.readTimeoutMillis());
        assertEquals(2000, b.pingIntervalMillis());
        assertEquals(1000, b.writeTimeoutMillis());
        assertFalse(b.retryOnConnectionFailure());
        assertTrue(a.dispatcher() == b.dispatcher(), "clients from one builder share the dispatcher, as OkHttp's");
    }

    @Test
    void proxyMapsToAnHttpConnectProxyUrl() {
        Proxy http = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("proxy.test", 3128));
        assertTrue(config(new OkHttpClient.Builder().proxy(http)).contains("\"proxy\":\"http://proxy.test:3128\""));
        assertFalse(config(new OkHttpClient.Builder().proxy(Proxy.NO_PROXY)).contains("\"proxy\""));
        assertThrows(IllegalArgumentException.class,
                () -> new OkHttpClient.Builder().proxy(new Proxy(Proxy.Type.SOCKS, new InetSocketAddress("127.0.0.1", 1080))));

        // No proxy set: the selector is asked with the http(s) form of the socket's URL.
        final URI[] asked = new URI[1];
        ProxySelector selector = new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                asked[0] = uri;
                return Collections.singletonList(new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("10.1.2.3", 8080)));
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
        };
        assertEquals("http://10.1.2.3:8080", OkHttpClient.selectProxy(selector, "wss://example.test:8443/chat"));
        assertEquals("https", asked[0].getScheme());
        assertEquals("example.test", asked[0].getHost());
        assertEquals(8443, asked[0].getPort());
        ProxySelector direct = new ProxySelector() {
            @Override public List<Proxy> select(URI uri) { return Collections.singletonList(Proxy.NO_PROXY); }
            @Override public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
        };
        assertNull(OkHttpClient.selectProxy(direct, "ws://example.test/"));
    }

    @Test
    void pinsMapToTheCoresCertificatePins() throws Exception {
        String pin = "sha256/" + ByteString.of(new byte[32]).base64();
        CertificatePinner pinner = new CertificatePinner.Builder().add("*.example.test", pin).add("localhost", pin, pin).build();
        String j = config(new OkHttpClient.Builder().certificatePinner(pinner));
        assertTrue(j.contains("\"certificate_pins\":[[\"*.example.test\",\"" + pin + "\"],[\"localhost\",\"" + pin + "\"],[\"localhost\",\"" + pin + "\"]]"), j);
        assertThrows(IllegalArgumentException.class, () -> new CertificatePinner.Builder().add("x.test", "md5/AAAA"));
        assertThrows(IllegalArgumentException.class, () -> new CertificatePinner.Builder().add("x.test", "sha256/not base64!"));
        assertThrows(IllegalArgumentException.class, () -> new CertificatePinner.Builder().add("x.test", "sha256/AAAA"));

        // pin(certificate) is the SHA-256 of the certificate's SubjectPublicKeyInfo.
        X509Certificate cert = testCertificate();
        byte[] spkiHash = java.security.MessageDigest.getInstance("SHA-256").digest(cert.getPublicKey().getEncoded());
        assertEquals("sha256/" + java.util.Base64.getEncoder().encodeToString(spkiHash), CertificatePinner.pin(cert));
    }

    @Test
    void socketThreadIsNonDaemonWhileOpenAndGoneAfterClose() throws Exception {
        OkHttpClient client = new OkHttpClient();
        Recorder r = new Recorder();
        WebSocket ws = client.newWebSocket(new Request.Builder().url(TestHubs.url(hub, "/echo")).build(), r);
        r.await("open");
        Thread t = ((RealWebSocket) ws).dispatcherThread();
        assertTrue(t.isAlive());
        assertFalse(t.isDaemon(), "an open socket keeps the JVM alive, as OkHttp's");
        assertEquals(1, client.dispatcher().runningCallsCount());
        assertEquals(t.getName(), r.threads.get(0), "the listener runs on the socket's own thread by default");
        ws.close(1000, "bye");
        r.awaitEnd();
        Recorder.awaitDispatcherExit(ws);
        assertEquals(0, client.dispatcher().runningCallsCount());
    }

    @Test
    void dispatcherShutdownRefusesNewSocketsAndLetsOpenOnesEnd() throws Exception {
        OkHttpClient client = new OkHttpClient();
        Recorder r = new Recorder();
        WebSocket ws = client.newWebSocket(new Request.Builder().url(TestHubs.url(hub, "/echo")).build(), r);
        client.dispatcher().executorService().shutdown();
        assertTrue(client.dispatcher().executorService().isShutdown());
        r.await("open");
        assertTrue(ws.send("still open"));
        r.await("text:still open");
        assertFalse(client.dispatcher().executorService().isTerminated(), "a socket is still open");
        assertFalse(client.dispatcher().executorService().awaitTermination(1, TimeUnit.MILLISECONDS));
        // As OkHttp: the refused socket's listener gets onFailure on this thread, and nothing connects.
        Recorder refused = new Recorder();
        WebSocket.Factory factory = client;
        WebSocket late = factory.newWebSocket(new Request.Builder().url(TestHubs.url(hub, "/echo")).build(), refused);
        assertEquals(1, refused.events.size(), "onFailure came before newWebSocket returned");
        assertTrue(refused.failure instanceof java.io.InterruptedIOException, "got " + refused.snapshot());
        assertEquals(Thread.currentThread().getName(), refused.threads.get(0));
        assertFalse(late.send("nothing"));
        assertEquals(1, client.dispatcher().runningCallsCount());
        assertThrows(RejectedExecutionException.class, () -> client.dispatcher().executorService().execute(() -> { }));
        ws.close(1000, null);
        assertTrue(client.dispatcher().executorService().awaitTermination(Recorder.WAIT_S, TimeUnit.SECONDS));
        assertTrue(client.dispatcher().executorService().isTerminated());
        r.awaitEnd();
    }

    @Test
    void shutdownNowCancelsOpenSockets() throws Exception {
        OkHttpClient client = new OkHttpClient();
        Recorder r = new Recorder();
        client.newWebSocket(new Request.Builder().url(TestHubs.url(hub, "/echo")).build(), r);
        r.await("open");
        assertTrue(client.dispatcher().executorService().shutdownNow().isEmpty());
        r.awaitEnd();
        assertTrue(r.failure != null, "cancel gives onFailure: " + r.snapshot());
        assertTrue(client.dispatcher().executorService().awaitTermination(Recorder.WAIT_S, TimeUnit.SECONDS));
    }

    @Test
    void responseMembersInOnOpenAndOnFailure() throws Exception {
        OkHttpClient client = new OkHttpClient();
        final Response[] opened = new Response[1];
        Recorder r = new Recorder() {
            @Override
            public void onOpen(WebSocket ws, Response response) {
                opened[0] = response;
                super.onOpen(ws, response);
            }
        };
        Request request = new Request.Builder().url(TestHubs.url(hub, "/echo")).header("X-Trace", "t1").build();
        WebSocket ws = client.newWebSocket(request, r);
        r.await("open");
        Response open = opened[0];
        assertEquals(101, open.code());
        assertEquals("Switching Protocols", open.message());
        assertEquals("websocket", open.headers().get("upgrade").toLowerCase(java.util.Locale.ROOT));
        assertEquals(0, open.body().contentLength());
        assertEquals("t1", open.request().headers().get("x-trace"));
        ws.close(1000, null);
        r.awaitEnd();

        Recorder refused = new Recorder();
        client.newWebSocket(new Request.Builder().url(TestHubs.url(hub, "/no-such-route")).build(), refused);
        refused.awaitEnd();
        Response resp = refused.failureResponse;
        assertEquals(404, resp.code());
        assertEquals("Not Found", resp.message());
        assertFalse(resp.isRedirect());
        assertEquals(resp.bodyString(), resp.body().string());
        assertEquals(resp.header("Content-Type"), resp.headers().get("Content-Type"));
    }

    @Test
    void trustManagerIssuersBecomeTheCoresTrustedCas() throws Exception {
        File cert = TestHubs.required("omnisock.test.cert");
        File key = TestHubs.required("omnisock.test.key");
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("test", testCertificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {tm}, null);
        try (Hub tls = Hub.builder().route("/echo", Hub.RouteKind.ECHO).tls(cert.getPath(), key.getPath()).start()) {
            Request req = new Request.Builder().url("https://localhost:" + tls.port() + "/echo").build();

            Recorder untrusted = new Recorder();
            new OkHttpClient().newWebSocket(req, untrusted);
            untrusted.awaitEnd();
            assertTrue(untrusted.failure instanceof OmnisockException.Tls, "got " + untrusted.snapshot());

            OkHttpClient trusting = new OkHttpClient.Builder().sslSocketFactory(ctx.getSocketFactory(), tm).build();
            assertTrue(trusting.x509TrustManager() == tm);
            Recorder ok = new Recorder();
            WebSocket ws = trusting.newWebSocket(req, ok);
            ok.await("open");
            assertTrue(ws.send("secure"));
            ok.await("text:secure");
            ws.close(1000, null);
            ok.awaitEnd();
        }
        X509TrustManager trustsAll = new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        };
        assertThrows(IllegalArgumentException.class,
                () -> new OkHttpClient.Builder().sslSocketFactory(ctx.getSocketFactory(), trustsAll));
    }

    static X509Certificate testCertificate() throws Exception {
        try (InputStream in = new FileInputStream(TestHubs.required("omnisock.test.cert"))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
