package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.security.KeyStore;
import java.util.Collections;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OkHttpClient options whose behaviour lives in core keys added by the proxy/redirect/pin and
 * compression work ({@code proxy}, {@code max_redirects}, {@code certificate_pins},
 * {@code compression}): run with {@code tests/java/run.sh --after-merge} once the core has them.
 */
class OkHttpAfterMergeTest {
    static Hub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHubs.echoHub();
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    private static void echoOnce(WebSocket ws, Recorder r, String text) throws Exception {
        r.await("open");
        assertTrue(ws.send(text));
        r.await("text:" + text);
        ws.close(1000, null);
        r.awaitEnd();
    }

    @Test
    void redirectsAreFollowedByDefaultAndNotWhenTurnedOff() throws Exception {
        String to = TestHubs.url(hub, "/echo").replace("ws://", "http://");
        try (LoopbackHttp redirect = LoopbackHttp.answering(
                "HTTP/1.1 301 Moved Permanently\r\nLocation: " + to + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) {
            Request req = new Request.Builder().url("ws://127.0.0.1:" + redirect.port() + "/old").build();
            Recorder followed = new Recorder();
            echoOnce(new OkHttpClient().newWebSocket(req, followed), followed, "via redirect");
            assertEquals(1, redirect.heads.size());

            Recorder notFollowed = new Recorder();
            new OkHttpClient.Builder().followRedirects(false).build().newWebSocket(req, notFollowed);
            notFollowed.awaitEnd();
            assertEquals(301, notFollowed.failureResponse.code(), "got " + notFollowed.snapshot());
        }
    }

    @Test
    void anHttpProxyCarriesTheSocketThroughConnect() throws Exception {
        try (LoopbackHttp proxy = LoopbackHttp.connectProxy()) {
            OkHttpClient client = new OkHttpClient.Builder()
                    .proxy(new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", proxy.port())))
                    .build();
            Recorder r = new Recorder();
            echoOnce(client.newWebSocket(new Request.Builder().url(TestHubs.url(hub, "/echo")).build(), r), r, "through proxy");
            assertTrue(proxy.heads.get(0).startsWith("CONNECT 127.0.0.1:" + hub.port() + " "), proxy.heads.get(0));
        }
    }

    @Test
    void theProxySelectorIsAskedWhenNoProxyIsSet() throws Exception {
        try (final LoopbackHttp proxy = LoopbackHttp.connectProxy()) {
            ProxySelector selector = new ProxySelector() {
                @Override
                public List<Proxy> select(URI uri) {
                    return Collections.singletonList(new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", proxy.port())));
                }

                @Override
                public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
            };
            Recorder r = new Recorder();
            WebSocket ws = new OkHttpClient.Builder().proxySelector(selector).build()
                    .newWebSocket(new Request.Builder().url(TestHubs.url(hub, "/echo")).build(), r);
            echoOnce(ws, r, "selected proxy");
            assertEquals(1, proxy.heads.size());
        }
    }

    @Test
    void proxyCredentialsGoAsBasicAuthorization() throws Exception {
        try (LoopbackHttp proxy = LoopbackHttp.connectProxy()) {
            OmnisockClient client = new OmnisockClient.Builder().proxy("http://user:secret@127.0.0.1:" + proxy.port()).build();
            Recorder r = new Recorder();
            echoOnce(client.newWebSocket(TestHubs.url(hub, "/echo"), r), r, "with credentials");
            assertEquals("Basic " + ByteString.encodeUtf8("user:secret").base64(), proxy.header(0, "Proxy-Authorization"));
        }
    }

    @Test
    void certificatePinsAcceptTheServersKeyAndRefuseAnother() throws Exception {
        File cert = TestHubs.required("omnisock.test.cert");
        File key = TestHubs.required("omnisock.test.key");
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("test", OkHttpClientTest.testCertificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {tm}, null);
        OkHttpClient trusting = new OkHttpClient.Builder().sslSocketFactory(ctx.getSocketFactory(), tm).build();
        try (Hub tls = Hub.builder().route("/echo", Hub.RouteKind.ECHO).tls(cert.getPath(), key.getPath()).start()) {
            Request req = new Request.Builder().url("wss://localhost:" + tls.port() + "/echo").build();
            CertificatePinner right = new CertificatePinner.Builder()
                    .add("localhost", CertificatePinner.pin(OkHttpClientTest.testCertificate())).build();
            Recorder ok = new Recorder();
            echoOnce(trusting.newBuilder().certificatePinner(right).build().newWebSocket(req, ok), ok, "pinned");

            CertificatePinner wrong = new CertificatePinner.Builder()
                    .add("localhost", "sha256/" + ByteString.of(new byte[32]).base64()).build();
            Recorder refused = new Recorder();
            trusting.newBuilder().certificatePinner(wrong).build().newWebSocket(req, refused);
            refused.awaitEnd();
            assertTrue(refused.failure instanceof OmnisockException.Tls, "got " + refused.snapshot());
        }
    }

    @Test
    void permessageDeflateIsOfferedByDefaultAsOkHttpDoes() throws Exception {
        try (LoopbackHttp server = LoopbackHttp.answering("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) {
            Recorder r = new Recorder();
            new OkHttpClient().newWebSocket(new Request.Builder().url("ws://127.0.0.1:" + server.port() + "/").build(), r);
            r.awaitEnd();
            String offer = server.header(0, "Sec-WebSocket-Extensions");
            assertTrue(offer != null && offer.contains("permessage-deflate"), "offer: " + offer);
        }
    }

    @Test
    void compressedEchoWorksWithALowMinWebSocketMessageToCompress() throws Exception {
        Recorder r = new Recorder();
        WebSocket ws = new OkHttpClient.Builder().minWebSocketMessageToCompress(16).build()
                .newWebSocket(new Request.Builder().url(TestHubs.url(hub, "/echo")).build(), r);
        echoOnce(ws, r, "a message longer than sixteen bytes");
    }
}
