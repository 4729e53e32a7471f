package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** okio-named ByteString codecs, checked against the JDK's own codecs; Headers and Request.headers(). */
class ByteStringTest {
    @Test
    void hexRoundTripsAndRejectsBadInput() {
        assertEquals("deadbeef", ByteString.decodeHex("DEADbeef").hex());
        assertArrayEquals(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef}, ByteString.decodeHex("deadbeef").toByteArray());
        assertEquals(0, ByteString.decodeHex("").size());
        assertThrows(IllegalArgumentException.class, () -> ByteString.decodeHex("abc"));
        assertThrows(IllegalArgumentException.class, () -> ByteString.decodeHex("zz"));
    }

    @Test
    void base64MatchesTheJdkForEveryLengthAndBothAlphabets() {
        Random rnd = new Random(7);
        for (int len = 0; len < 70; len++) {
            byte[] b = new byte[len];
            rnd.nextBytes(b);
            ByteString s = ByteString.of(b);
            assertEquals(Base64.getEncoder().encodeToString(b), s.base64());
            assertEquals(Base64.getUrlEncoder().encodeToString(b), s.base64Url());
            assertEquals(s, ByteString.decodeBase64(s.base64()));
            assertEquals(s, ByteString.decodeBase64(s.base64Url()));
            assertEquals(s, ByteString.decodeBase64(Base64.getEncoder().withoutPadding().encodeToString(b)));
        }
        assertEquals("hi", ByteString.decodeBase64("aGk=\n").utf8());
        assertNull(ByteString.decodeBase64("a*b="));
        assertNull(ByteString.decodeBase64("A"));
    }

    @Test
    void textDigestsAndSlices() throws Exception {
        ByteString s = ByteString.encodeUtf8("héllo wörld");
        assertEquals("héllo wörld", s.utf8());
        assertEquals(s, ByteString.encodeString("héllo wörld", StandardCharsets.UTF_8));
        assertEquals("héllo wörld", s.string(StandardCharsets.UTF_8));
        byte[] raw = "héllo wörld".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(raw), s.sha256().toByteArray());
        assertArrayEquals(MessageDigest.getInstance("SHA-1").digest(raw), s.sha1().toByteArray());
        assertArrayEquals(MessageDigest.getInstance("MD5").digest(raw), s.md5().toByteArray());
        assertEquals("llo", s.substring(3, 6).utf8());
        assertTrue(s.startsWith(ByteString.encodeUtf8("hé")));
        assertTrue(s.endsWith(ByteString.encodeUtf8("rld")));
        assertFalse(s.endsWith(ByteString.encodeUtf8("xrld plus more than the whole string")));
        assertThrows(IndexOutOfBoundsException.class, () -> s.substring(4, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> ByteString.of(new byte[4], 3, 2));
        ByteBuffer buf = ByteBuffer.wrap(new byte[] {1, 2, 3});
        assertEquals("010203", ByteString.of(buf).hex());
        assertEquals(0, buf.remaining());
        assertEquals((byte) 'l', s.asByteBuffer().get(3));
        assertTrue(s.asByteBuffer().isReadOnly());
        // Unsigned order: 0xff sorts after 0x01.
        assertTrue(ByteString.of((byte) 0xff).compareTo(ByteString.of((byte) 1)) > 0);
        assertTrue(ByteString.of((byte) 1).compareTo(ByteString.of((byte) 1, (byte) 0)) < 0);
        assertEquals(0, ByteString.EMPTY.size());
    }

    @Test
    void searchCaseStreamsAndHmacs() throws Exception {
        ByteString s = ByteString.encodeUtf8("abcABCabc");
        assertEquals(0, s.indexOf(ByteString.encodeUtf8("abc")));
        assertEquals(6, s.indexOf(ByteString.encodeUtf8("abc"), 1));
        assertEquals(6, s.lastIndexOf(ByteString.encodeUtf8("abc")));
        assertEquals(-1, s.indexOf(ByteString.encodeUtf8("abd")));
        assertTrue(s.rangeEquals(3, ByteString.encodeUtf8("xABC"), 1, 3));
        assertFalse(s.rangeEquals(8, ByteString.encodeUtf8("bc"), 0, 2));
        assertEquals("abcabcabc", s.toAsciiLowercase().utf8());
        assertEquals("ABCABCABC", s.toAsciiUppercase().utf8());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        s.write(out);
        assertEquals(s, ByteString.of(out.toByteArray()));
        java.io.InputStream in = new java.io.ByteArrayInputStream(out.toByteArray());
        assertEquals("abcA", ByteString.read(in, 4).utf8());
        assertThrows(java.io.EOFException.class, () -> ByteString.read(in, 6));
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec("key".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertArrayEquals(mac.doFinal(s.toByteArray()), s.hmacSha256(ByteString.encodeUtf8("key")).toByteArray());
    }

    @Test
    void basicCredentialsAsRfc7617() {
        assertEquals("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", Credentials.basic("Aladdin", "open sesame"));
        assertEquals("Basic dGVzdDoxMjPCow==", Credentials.basic("test", "123\u00a3", StandardCharsets.UTF_8));
        assertEquals("Basic dGVzdDoxMjOj", Credentials.basic("test", "123\u00a3"));
    }

    @Test
    void requestTagsAndSchemes() {
        Request r = new Request.Builder().url("https://h.test/x").tag("plain").tag(Integer.class, 7).build();
        assertEquals("plain", r.tag());
        assertEquals(Integer.valueOf(7), r.tag(Integer.class));
        assertNull(r.tag(Long.class));
        assertTrue(r.isHttps());
        assertEquals("wss://h.test/x", r.url());
        assertEquals(Integer.valueOf(7), r.newBuilder().build().tag(Integer.class));
        assertFalse(new Request.Builder().url("ws://h.test/").build().isHttps());
    }

    @Test
    void headersKeepOrderAndCompareNamesCaseInsensitively() {
        Headers h = new Headers.Builder().add("Accept", "a").add("X-Multi: one").add("x-multi", "two").build();
        assertEquals(3, h.size());
        assertEquals("two", h.get("X-MULTI"), "get() answers the last value, as OkHttp");
        assertEquals(java.util.Arrays.asList("one", "two"), h.values("x-multi"));
        assertEquals("X-Multi", h.name(1));
        assertEquals(2, h.names().size());
        assertEquals(java.util.Arrays.asList("one", "two"), h.toMultimap().get("x-multi"));
        assertThrows(IllegalArgumentException.class, () -> Headers.of("odd"));

        Request r = new Request.Builder().url("ws://h.test/").headers(h).header("Accept", "b").build();
        assertEquals("b", r.headers().get("accept"));
        assertEquals(java.util.Arrays.asList("one", "two"), r.headers("X-Multi"));
        assertEquals("GET", r.method());
    }
}
